// Scalar schemas shared by the sections.
import { z } from "zod";

// Pulumi hands top-level and `pulumi config set` values to the program as strings ("3", "true"),
// while structured YAML values arrive typed. Numbers and booleans accept both spellings.

export function numeric(value: unknown): unknown {
    return typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}

export function booleanish(value: unknown): unknown {
    return value === "true" ? true : value === "false" ? false : value;
}

export const int = (min: number, max: number) => {
    const expected = `expected an integer between ${min} and ${max}`;
    return z.preprocess(numeric, z.number({ error: expected }).int(expected).min(min, expected).max(max, expected));
};

export const bool = () =>
    z.preprocess(booleanish, z.boolean({ error: "expected a boolean (true or false)" }));

export const text = (what: string, pattern: RegExp) =>
    z.string({ error: `expected ${what}` }).regex(pattern, `expected ${what}`);

export const dnsLabel = text(
    "a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters",
    /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
);
// Kubernetes quantity, same grammar as chart/values.schema.json.
export const quantity = text(
    "a Kubernetes quantity such as 250m, 0.5, 256Mi or 1Gi",
    /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/,
);
export const stringMap = z.record(z.string(), z.string({ error: "expected a string value" }));
/** Kubernetes label keys (optional DNS prefix + name) and values, as the API server checks them. */
export const labelMap = z.record(
    text("a label key such as example.com/team", /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/),
    text("a label value (at most 63 letters, digits, '-', '_', '.')", /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/),
);
export const oneOrMany = (item: z.ZodString) => z.union([item, z.array(item).min(1)]);

/** Kubernetes quantity to a number (cores or bytes), enough to compare requests with limits. */
export function parseQuantity(q: string): number {
    const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
    if (!m) return NaN;
    const factor: Record<string, number> = {
        m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
    };
    return Number(m[1]) * (m[2] ? factor[m[2]] : 1);
}
