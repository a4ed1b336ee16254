// Pod Security Admission is configured per namespace by labels; without `enforce` the level is
// only a warning, and without a level the cluster default (usually privileged) applies.
import type { NamespaceProps } from "./types";

export const PSS_MODES = ["enforce", "audit", "warn"] as const;
export const RESTRICTED = "restricted";

export function pssLabel(mode: (typeof PSS_MODES)[number]): string {
    return `pod-security.kubernetes.io/${mode}`;
}

/** The level a namespace enforces, if labelled. */
export function enforcedLevel(ns: NamespaceProps): string | undefined {
    return ns.metadata?.labels?.[pssLabel("enforce")];
}
