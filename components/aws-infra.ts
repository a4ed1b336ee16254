// The AWS side of a stack: its explicit provider (region, default tags), the ElastiCache
// replication group and the IRSA role, each only when the config asks for it.
//
// Its own module so that stack.ts loads it, and with it @pulumi/aws, only for stacks that have
// AWS resources: @pulumi/aws is the largest SDK (about 0.3 s of every preview to load), and dev
// has none.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { Config, PROJECT } from "../config";
import { redisLogicalName } from "../config/names";
import { ClusterFacts } from "./cluster-facts";
import { RedisCache } from "./redis-cache";
import { ServiceAccountRole } from "./service-account-role";

/** What a stack has on AWS (each part absent when the config does not ask for it). */
export interface AwsInfra {
    readonly redis?: RedisCache;
    readonly role?: ServiceAccountRole;
}

export function createAwsInfra(config: Config, cluster: ClusterFacts, stack: string): AwsInfra {
    const awsOpts: pulumi.ComponentResourceOptions = { providers: [awsProvider(config, stack)] };
    const name = config.release.name;

    let redis: RedisCache | undefined;
    if (config.redis.mode === "elasticache") {
        const r = config.redis;
        redis = new RedisCache(redisLogicalName(name), {
            vpcId: cluster.require("vpcId"),
            // Multi-AZ needs subnets in two AZs: checked here for values from the cluster stack,
            // as parseConfig checks them for values set in config.
            subnetIds: cluster.require("privateSubnetIds", { minItems: r.multiAz ? 2 : 1 }),
            clientSecurityGroupId: cluster.require("nodeSecurityGroupId"),
            engine: r.engine,
            engineVersion: r.engineVersion,
            family: r.family,
            nodeType: r.nodeType,
            numNodes: r.numNodes,
            multiAz: r.multiAz,
            port: r.port,
            snapshotRetentionDays: r.snapshotRetentionDays,
            snapshotWindow: r.snapshotWindow,
            maintenanceWindow: r.maintenanceWindow,
            slowLogRetentionDays: r.slowLogRetentionDays,
            authTokenLength: r.authTokenLength,
            authTokenVersion: r.authTokenVersion,
            authTokenUpdateStrategy: r.authTokenUpdateStrategy,
            applyImmediately: r.applyImmediately,
            // A snapshot name can be used once (SnapshotAlreadyExistsFault): a teardown sets a new
            // redis.finalSnapshotName in the same change that lifts `protect` (README).
            finalSnapshotIdentifier: r.finalSnapshot ? r.finalSnapshotName ?? snapshotName(`${name}-${stack}-final`) : undefined,
            transitEncryptionMode: r.transitEncryptionMode,
            alarms: r.alarms,
            // Under /aws/vendedlogs/: CloudWatch Logs then does not add each log group to the
            // account's 5,120-character resource policy for vended-log delivery (AWS: "Enabling
            // logging from AWS services"). The stack in the name keeps two stacks of one account
            // apart.
            slowLogGroupName: `/aws/vendedlogs/elasticache/${name}-${stack}/slow-log`,
            protect: r.protect,
        }, awsOpts);
    }

    let role: ServiceAccountRole | undefined;
    const iam = config.serviceAccount.iam;
    if (iam !== undefined) {
        role = new ServiceAccountRole(name, {
            oidcProviderArn: cluster.require("oidcProviderArn"),
            namespace: config.namespace.name,
            serviceAccountName: config.serviceAccount.name,
            policyStatements: iam.policyStatements,
            managedPolicyArns: iam.managedPolicyArns,
            permissionsBoundaryArn: iam.permissionsBoundaryArn,
            path: iam.path,
        }, awsOpts);
    }

    return { redis, role };
}

function awsProvider(config: Config, stack: string): aws.Provider {
    // parseConfig requires aws.region whenever AWS resources are created.
    if (config.aws === undefined) throw new Error("createAwsInfra: AWS resources need config aws.region");
    return new aws.Provider("aws", {
        region: config.aws.region as aws.Region,
        // Credentials of any other account fail before anything is created.
        allowedAccountIds: config.aws.allowedAccountIds,
        defaultTags: {
            // The fixed tags win over same-named ones from aws.tags.
            tags: { ...config.aws.tags, project: PROJECT, stack, "managed-by": "pulumi" },
        },
    });
}

/** ElastiCache snapshot names: letters, digits and single hyphens, starting with a letter. */
function snapshotName(raw: string): string {
    return raw.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^[^a-z]+|-$/g, "").slice(0, 255);
}
