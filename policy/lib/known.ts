// During a preview, a value that another resource computes (a name, an id) is unknown, and reading
// it throws: the engine then reports the whole policy as "can't run during preview". Where a rule
// has another way to decide, it reads such values through `known` and falls back.
import { UnknownValueError } from "@pulumi/policy";

/** The value `read` returns, or undefined when the engine does not know it yet. */
export function known<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (e) {
        if (e instanceof UnknownValueError) return undefined;
        throw e;
    }
}
