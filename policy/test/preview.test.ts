// What a preview of a new stack looks like to a policy: values other resources compute are
// unknown until they are created. Rules that can decide otherwise must not give up on them.
import * as assert from "assert";

import { policies } from "../policies";
import { one, runPolicies, snapshotOf, UNKNOWN_STRING } from "./support/harness";
import { propsOf, R } from "./support/mutations";

const namespacePolicy = policies.filter((p) => p.name === "helm-release-namespace-pss-restricted");

describe("policies during a preview, with values not known yet", () => {
    it("the release's namespace policy follows the dependency when the namespace name is unknown", async () => {
        const snapshot = await snapshotOf("dev");
        one(snapshot, R.release).props.namespace = UNKNOWN_STRING;
        assert.deepStrictEqual(await runPolicies(snapshot, namespacePolicy), []);
    });

    it("and still refuses a namespace that does not enforce restricted", async () => {
        const snapshot = await snapshotOf("dev");
        one(snapshot, R.release).props.namespace = UNKNOWN_STRING;
        propsOf(snapshot, R.namespace).metadata.labels["pod-security.kubernetes.io/enforce"] = "privileged";
        const violations = await runPolicies(snapshot, namespacePolicy);
        assert.strictEqual(violations.length, 1);
        assert.match(violations[0].message, /namespace \(not known during preview\), which enforces "privileged", not "restricted"\./);
    });

    it("an unknown value in one resource does not spare the next: a second group without encryption still fails", async () => {
        // Positive control for the harness: it judges resource by resource, as the engine does.
        const snapshot = await snapshotOf("prod");
        const first = one(snapshot, R.replicationGroup);
        const second = structuredClone(first);
        Object.assign(second, { name: "second-redis", urn: first.urn.replace(/::taskflow-api-redis$/, "::second-redis") });
        snapshot.push(second);
        first.props.atRestEncryptionEnabled = UNKNOWN_STRING;
        second.props.atRestEncryptionEnabled = false;
        const violations = await runPolicies(snapshot, policies.filter((p) => p.name === "elasticache-encryption-at-rest"));
        assert.deepStrictEqual(
            violations.map((v) => [v.urn, v.advisory ?? false]),
            [[first.urn, true], [second.urn, false]],
        );
        assert.match(violations[1].message, /atRestEncryptionEnabled is not true/);
    });

    it("a policy that must read an unknown value is reported as unable to run, as the engine does", async () => {
        const snapshot = await snapshotOf("dev");
        one(snapshot, R.release).props.values.redis.auth.usersExistingSecret = UNKNOWN_STRING;
        const violations = await runPolicies(snapshot, policies.filter((p) => p.name === "helm-values-no-secret-literals"));
        assert.deepStrictEqual(violations.map((v) => [v.policy, v.advisory]), [["helm-values-no-secret-literals", true]]);
        assert.match(violations[0].message, /can't run during preview: string value at \.values\.redis\.auth\.usersExistingSecret can't be known during preview/);
    });
});
