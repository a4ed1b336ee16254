// Baseline of benchmarks/unit-timing.sh: what any unit run pays before a single assertion, i.e.
// mocha + ts-node + loading the four Pulumi SDKs the program uses.
import * as assert from "assert";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

describe("baseline", () => {
    it("loads @pulumi/pulumi, @pulumi/kubernetes, @pulumi/aws and @pulumi/random", () => {
        // Touch one export of each so the lazily loaded modules are really loaded.
        assert.ok(pulumi.ComponentResource && k8s.helm.v3.Release && aws.elasticache.ReplicationGroup && random.RandomPassword);
    });
});
