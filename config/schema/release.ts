// The namespace and the Helm release.
import { z } from "zod";

import { PROJECT } from "../constants";
import { bool, dnsLabel, int, text } from "../scalars";

export const namespaceSchema = z.strictObject({
    /** Kubernetes namespace of the release. */
    name: dnsLabel.default(PROJECT),
    /** Create (and own) the namespace, with Pod Security "restricted" labels. */
    create: bool().default(true),
});

export const releaseSchema = z.strictObject({
    /** Helm release name; also the chart's fullnameOverride. Helm caps release names at 53. */
    name: text("a release name: DNS-1123 label of at most 53 characters", /^(?=.{1,53}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default(PROJECT),
    /** Seconds Helm waits for the rollout before the atomic release rolls back. */
    timeoutSeconds: int(60, 3600).default(600),
    /** Release revisions Helm keeps (rollback targets). */
    maxHistory: int(1, 100).default(10),
    /**
     * Heal token (`npm run heal` sets it to a timestamp): a new value becomes the release's
     * description, which makes `up` run a Helm upgrade of the same chart and values, whose
     * three-way merge puts drifted live objects back. Unset: Helm's default description.
     */
    healToken: text("a heal token: 1-63 letters, digits, '.', '_', ':' or '-'", /^[A-Za-z0-9._:-]{1,63}$/).optional(),
});
