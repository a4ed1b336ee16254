// From what Pulumi hands the program (namespaced keys, string values) to one object tree.

export function decode(value: string): unknown {
    const trimmed = value.trim();
    if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return value;
    try {
        return JSON.parse(trimmed);
    } catch {
        return new Error("structured value is not valid JSON");
    }
}

export function setPath(tree: Record<string, unknown>, path: string[], value: unknown): boolean {
    let node = tree;
    for (const [i, segment] of path.entries()) {
        const last = i === path.length - 1;
        const existing = node[segment];
        if (last) {
            if (isPlainObject(existing) && isPlainObject(value)) {
                node[segment] = { ...existing, ...value };
                return true;
            }
            if (existing !== undefined) return false;
            node[segment] = value;
            return true;
        }
        if (existing === undefined) node[segment] = {};
        else if (!isPlainObject(existing)) return false;
        node = node[segment] as Record<string, unknown>;
    }
    return true;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}


/**
 * Raw config of a stack file (`Pulumi.<stack>.yaml`, already parsed from YAML) in the shape
 * Pulumi hands to the program: namespaced keys, string values, objects as JSON. Encrypted
 * values (`secure: v1:...`) cannot be read offline; they become the placeholder string below.
 */
export function rawConfigFromStackFile(doc: unknown): Record<string, string> {
    const config = isPlainObject(doc) && isPlainObject(doc.config) ? doc.config : {};
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        const plain = replaceSecure(value);
        raw[key] = typeof plain === "string" ? plain : isPlainObject(plain) || Array.isArray(plain) ? JSON.stringify(plain) : String(plain);
    }
    return raw;
}

/** Stands in for an encrypted config value when a stack file is read without Pulumi. */
export const SECURE_PLACEHOLDER = "<encrypted value: not readable offline>";

function replaceSecure(value: unknown): unknown {
    if (isPlainObject(value)) {
        if (Object.keys(value).length === 1 && typeof value.secure === "string") return SECURE_PLACEHOLDER;
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(v)]));
    }
    return Array.isArray(value) ? value.map(replaceSecure) : value;
}
