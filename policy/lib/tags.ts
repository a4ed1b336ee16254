// The tags an AWS resource ends up with: the provider's defaultTags, then its own tags (which win,
// as in the AWS provider's merge). taskflow-api sets project/stack/managed-by once, on the explicit
// AWS provider, so a rule that read only `tags` would wrongly flag every resource.
import type { PolicyProviderResource } from "@pulumi/policy";

import type { TaggedProps } from "./types";

type Tags = Readonly<Record<string, string>>;

/**
 * The provider's default tags. The SDK sends provider inputs that are objects as JSON text
 * (`{"tags":{...}}`); an engine may also hand the parsed object.
 */
export function providerDefaultTags(provider: PolicyProviderResource | undefined): Tags {
    const raw: unknown = provider?.props.defaultTags;
    let parsed: unknown = raw;
    if (typeof raw === "string") {
        try {
            parsed = JSON.parse(raw);
        } catch {
            return {};
        }
    }
    const tags = (parsed as { tags?: unknown } | undefined)?.tags;
    return typeof tags === "object" && tags !== null ? (tags as Tags) : {};
}

/** Default tags, then tagsAll (the provider's computed merge, when known), then own tags. */
export function effectiveTags(props: TaggedProps, provider: PolicyProviderResource | undefined): Tags {
    return { ...providerDefaultTags(provider), ...(props.tagsAll ?? {}), ...(props.tags ?? {}) };
}
