// IAM policy documents as the engine shows them: JSON text (what the SDKs send) or an object, with
// the usual single-value-or-list shorthand. Everything is normalised to lists here, once.

export interface Statement {
    readonly Sid?: string;
    readonly Effect?: string;
    readonly Principal?: unknown;
    readonly NotPrincipal?: unknown;
    readonly Action?: string | readonly string[];
    readonly NotAction?: string | readonly string[];
    readonly Resource?: string | readonly string[];
    readonly NotResource?: string | readonly string[];
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** A document's statements, or undefined when the document cannot be read (not JSON). */
export function statementsOf(document: unknown): Statement[] | undefined {
    let doc = document;
    if (typeof doc === "string") {
        try {
            doc = JSON.parse(doc);
        } catch {
            return undefined;
        }
    }
    if (typeof doc !== "object" || doc === null) return undefined;
    const statement = (doc as { Statement?: unknown }).Statement;
    if (statement === undefined) return [];
    return (Array.isArray(statement) ? statement : [statement]) as Statement[];
}

/** `"a"` or `["a", "b"]` as a list. */
export function asList(value: unknown): string[] {
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** `*` or a whole service (`s3:*`). */
export function isWildcardAction(action: string): boolean {
    return action === "*" || /^[a-z0-9-]+:\*$/i.test(action);
}

// Verbs that only read. Everything else, wildcards included, is treated as a write: a new verb
// is then flagged rather than silently allowed.
const READ_ONLY_VERB = /^[a-z0-9-]+:(Get|List|Describe|Head|BatchGet|Query|Scan)[A-Za-z0-9]*$/i;

export function isWriteAction(action: string): boolean {
    return !READ_ONLY_VERB.test(action);
}

/** Paths of every string in `value` that holds an IAM wildcard (`*` or `?`). */
export function wildcardPaths(value: unknown, path: string): string[] {
    if (typeof value === "string") return /[*?]/.test(value) ? [`${path} = ${JSON.stringify(value)}`] : [];
    if (Array.isArray(value)) return value.flatMap((v, i) => wildcardPaths(v, `${path}[${i}]`));
    if (typeof value === "object" && value !== null) {
        return Object.entries(value).flatMap(([k, v]) => wildcardPaths(v, `${path}.${k}`));
    }
    return [];
}
