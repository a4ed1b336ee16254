// Helm values that carry a secret. Values end up in the release's Secret in the cluster, in the
// Pulumi state and in every diff, so the chart gets references (a Secret's name and key) instead.

/** Key names that say "this is a credential". */
const SECRET_WORD = /pass(word|wd|phrase)|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credential/i;

/**
 * Key names that say "this points at a credential": the name of an existing Secret
 * (`existingSecret`, `usersExistingSecret`, `secretName`) or of a key inside it
 * (`redisPasswordKey`, `tokenKey`). `secretKey` and `apiKey` are NOT references: they are the
 * usual names of the credential itself.
 */
const REFERENCE = /(existingsecret|secretname|secretref|(password|passwd|token)key|keyref|name)$/i;

export interface SecretLiteral {
    /** Dotted path of the value, e.g. `redis.auth.password`. */
    readonly path: string;
}

/** Whether a key looks like it holds a credential rather than a reference to one. */
export function isSecretKey(key: string): boolean {
    return SECRET_WORD.test(key) && !REFERENCE.test(key);
}

/** Literal strings under secret-looking keys, anywhere in `values`. */
export function secretLiterals(values: unknown, path = ""): SecretLiteral[] {
    if (Array.isArray(values)) return values.flatMap((v, i) => secretLiterals(v, `${path}[${i}]`));
    if (typeof values !== "object" || values === null) return [];
    const out: SecretLiteral[] = [];
    for (const [key, value] of Object.entries(values)) {
        const at = path ? `${path}.${key}` : key;
        if (isSecretKey(key) && carriesLiteral(value) && !isChecksum(key, value)) out.push({ path: at });
        else out.push(...secretLiterals(value, at));
    }
    return out;
}

/**
 * A non-empty string, directly or in a list. Numbers and booleans are settings (`tokenTTL: 3600`,
 * `auth.enabled: true`), not credentials.
 */
function carriesLiteral(value: unknown): boolean {
    if (typeof value === "string") return value.length > 0;
    if (Array.isArray(value)) return value.some(carriesLiteral);
    return false;
}

/**
 * `checksum/<what>: <sha256 hex>`, the Helm convention that rolls pods when something they read
 * at start changes (`checksum/existing-secret` holds the SHA-256 of the Redis password). A digest
 * of a random credential is not the credential; anything else under such a key still counts.
 */
function isChecksum(key: string, value: unknown): boolean {
    return /^checksum\//i.test(key) && typeof value === "string" && /^[a-f0-9]{64}$/.test(value);
}
