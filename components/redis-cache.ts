import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

import type { RedisEngine } from "../config";

/** Port Redis and Valkey listen on by default. */
export const DEFAULT_REDIS_PORT = 6379;

/** The only special characters ElastiCache accepts in an AUTH token. */
export const AUTH_TOKEN_SPECIALS = "!&#$^<>-";

export interface RedisCacheArgs {
    /** VPC of the cluster. */
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets for the subnet group; at least two AZs for multi-AZ. */
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Security group of the nodes/pods: the only source allowed to connect. */
    readonly clientSecurityGroupId: pulumi.Input<string>;
    /** "valkey" or "redis". */
    readonly engine: RedisEngine;
    /** Engine version, e.g. "8.0". */
    readonly engineVersion: string;
    /** Parameter group family matching engine and version, e.g. "valkey8" or "redis7". */
    readonly family: string;
    /** Node type, e.g. "cache.t4g.small". */
    readonly nodeType: string;
    /** Nodes (primary + replicas), 1-6. */
    readonly numNodes: number;
    /** Spread nodes across AZs and fail over automatically. Needs numNodes >= 2. */
    readonly multiAz: boolean;
    /** TCP port. Default 6379. */
    readonly port?: number;
    /** Days of automatic snapshots to keep; 0 disables them. */
    readonly snapshotRetentionDays: number;
    /** Daily UTC snapshot window, hh:mm-hh:mm. */
    readonly snapshotWindow: string;
    /** Weekly UTC maintenance window, ddd:hh:mm-ddd:hh:mm. */
    readonly maintenanceWindow: string;
    /** Retention of the slow-log CloudWatch log group, in days. */
    readonly slowLogRetentionDays: number;
    /** AUTH token length, 16-128 characters. */
    readonly authTokenLength: number;
    /** Changing it generates a new AUTH token (rotation). */
    readonly authTokenVersion: number;
    /** ROTATE (default) keeps the previous token valid next to the new one; SET retires it. */
    readonly authTokenUpdateStrategy?: "ROTATE" | "SET";
    /** Apply modifications now instead of in the maintenance window. Default false. */
    readonly applyImmediately?: boolean;
    /** Name of the snapshot taken when the replication group is deleted; none when unset. */
    readonly finalSnapshotIdentifier?: string;
    /** "required" (default) or "preferred" (only while adopting a group without TLS). */
    readonly transitEncryptionMode?: "preferred" | "required";
    /** Node alarms plus an SNS topic for them and the group's events. Default false. */
    readonly alarms?: boolean;
    /** Name of the slow-log CloudWatch log group. */
    readonly slowLogGroupName: string;
    /** Pulumi-protect the replication group against deletion. Default false. */
    readonly protect?: boolean;
}

/**
 * An ElastiCache (Valkey or Redis OSS) replication group reachable only from the cluster's
 * security group, encrypted in transit (TLS required) and at rest, with an AUTH token.
 */
export class RedisCache extends pulumi.ComponentResource {
    /** Primary endpoint host name. */
    public readonly host: pulumi.Output<string>;
    /** Port clients connect to. */
    public readonly port: pulumi.Output<number>;
    /** AUTH token (secret). */
    public readonly authToken: pulumi.Output<string>;
    public readonly replicationGroup: aws.elasticache.ReplicationGroup;
    public readonly securityGroup: aws.ec2.SecurityGroup;

    constructor(name: string, args: RedisCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("taskflow:aws:RedisCache", name, {}, opts);
        const port = args.port ?? DEFAULT_REDIS_PORT;

        const subnetGroup = new aws.elasticache.SubnetGroup(`${name}-subnets`, {
            description: `Private subnets of ${name}`,
            subnetIds: args.subnetIds,
        }, { parent: this });

        // No inline rules: inline and standalone rules fight over the same group on every update.
        // No egress rule either. The provider strips AWS's default allow-all egress, which is what
        // we want: security groups are stateful, so replies to client connections flow anyway,
        // and the nodes open no connections of their own through this ENI (replication and log
        // delivery are done by the service).
        this.securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, {
            description: `${name}: Redis clients from the cluster only`,
            vpcId: args.vpcId,
        }, { parent: this });

        new aws.vpc.SecurityGroupIngressRule(`${name}-from-cluster`, {
            securityGroupId: this.securityGroup.id,
            // EC2 accepts only a-zA-Z0-9, space and ._-:/()#,@[]+=&;{}!$* in rule descriptions and
            // the provider does not check it: an apostrophe here passed preview and failed `up`
            // (AuthorizeSecurityGroupIngress, InvalidParameterValue). test/unit/provider-rules.
            description: "Redis from the cluster node/pod security group",
            referencedSecurityGroupId: args.clientSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
        }, { parent: this });

        const token = new random.RandomPassword(`${name}-auth-token`, {
            length: args.authTokenLength,
            special: true,
            overrideSpecial: AUTH_TOKEN_SPECIALS,
            minSpecial: 1,
            minUpper: 1,
            minLower: 1,
            minNumeric: 1,
            keepers: { version: String(args.authTokenVersion) },
        }, { parent: this });

        const slowLog = new aws.cloudwatch.LogGroup(`${name}-slow-log`, {
            name: args.slowLogGroupName,
            retentionInDays: args.slowLogRetentionDays,
        }, { parent: this });

        const events = args.alarms ? new aws.sns.Topic(`${name}-events`, {}, { parent: this }) : undefined;

        this.replicationGroup = new aws.elasticache.ReplicationGroup(name, {
            notificationTopicArn: events?.arn,
            description: `${name} (${args.engine} ${args.engineVersion})`,
            engine: args.engine,
            engineVersion: args.engineVersion,
            nodeType: args.nodeType,
            numCacheClusters: args.numNodes,
            port,
            // AWS's default group of the family: no parameter is customised, and a custom group
            // blocked major-version upgrades (the family change replaces it, and the old group
            // cannot be deleted while the deferred modify still holds it; review #12).
            parameterGroupName: `default.${args.family}`,
            subnetGroupName: subnetGroup.name,
            securityGroupIds: [this.securityGroup.id],
            transitEncryptionEnabled: true,
            transitEncryptionMode: args.transitEncryptionMode ?? "required",
            atRestEncryptionEnabled: true,
            authToken: token.result,
            // ROTATE keeps the old token valid next to the new one, so running pods keep working
            // until the rollout that gives them the new token; switching to SET afterwards retires
            // the old one. The provider sends token and strategy changes with ApplyImmediately
            // true whatever `applyImmediately` says (replication_group.go, Update).
            authTokenUpdateStrategy: args.authTokenUpdateStrategy ?? "ROTATE",
            autoMinorVersionUpgrade: true,
            multiAzEnabled: args.multiAz,
            automaticFailoverEnabled: args.multiAz,
            snapshotRetentionLimit: args.snapshotRetentionDays,
            snapshotWindow: args.snapshotWindow,
            maintenanceWindow: args.maintenanceWindow,
            finalSnapshotIdentifier: args.finalSnapshotIdentifier,
            applyImmediately: args.applyImmediately ?? false,
            logDeliveryConfigurations: [{
                destination: slowLog.name,
                destinationType: "cloudwatch-logs",
                logFormat: "json",
                logType: "slow-log",
            }],
        }, { parent: this, protect: args.protect ?? false, additionalSecretOutputs: ["authToken"] });

        if (events) nodeAlarms(name, this.replicationGroup, args.numNodes, events, this);

        this.host = this.replicationGroup.primaryEndpointAddress;
        // @pulumi/aws 7 may report the port as undefined (it is computed only for some engines).
        this.port = this.replicationGroup.port.apply((p) => p ?? port);
        // The token as the replication group holds it, not the RandomPassword's result: the
        // Kubernetes Secret then changes only after ModifyReplicationGroup has accepted a new
        // token. Fed from the RandomPassword, the Secret was updated in parallel with the group,
        // so pods started during the minutes-long modify (or after a failed one) read a token
        // ElastiCache did not accept (WRONGPASS).
        this.authToken = pulumi.secret(
            pulumi.all([this.replicationGroup.authToken, this.replicationGroup.id]).apply(([accepted]) => {
                if (!accepted) throw new Error(`${name}: the replication group reports no AUTH token`);
                return accepted;
            }),
        );

        this.registerOutputs({ host: this.host, port: this.port, authToken: this.authToken });
    }
}

/**
 * The alarms an AWS production review asks for, per node: ElastiCache publishes these metrics
 * per cache cluster (node), whose IDs in a cluster-mode-disabled group are the group ID plus
 * -001, -002, ... (ElastiCache "Metrics for Valkey and Redis OSS"; the node naming is AWS's
 * convention, verify on the first deploy). Thresholds are starting points from AWS's
 * "Which Metrics Should I Monitor?": CPU of the engine thread, memory use, any eviction, and
 * replica lag.
 */
function nodeAlarms(name: string, group: aws.elasticache.ReplicationGroup, numNodes: number, topic: aws.sns.Topic, parent: pulumi.Resource): void {
    const alarm = (node: number, metric: string, threshold: number, statistic: string, description: string) => {
        const suffix = String(node).padStart(3, "0");
        new aws.cloudwatch.MetricAlarm(`${name}-${suffix}-${metric.toLowerCase()}`, {
            alarmDescription: description,
            namespace: "AWS/ElastiCache",
            metricName: metric,
            dimensions: { CacheClusterId: pulumi.interpolate`${group.replicationGroupId}-${suffix}` },
            statistic,
            period: 300,
            evaluationPeriods: 3,
            threshold,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "missing",
            alarmActions: [topic.arn],
            okActions: [topic.arn],
        }, { parent });
    };
    for (let node = 1; node <= numNodes; node++) {
        alarm(node, "EngineCPUUtilization", 80, "Average", "Engine thread above 80 % CPU for 15 minutes");
        alarm(node, "DatabaseMemoryUsagePercentage", 80, "Average", "Memory use above 80 % for 15 minutes: evictions follow");
        alarm(node, "Evictions", 0, "Sum", "Keys evicted for lack of memory");
        alarm(node, "CurrConnections", 5000, "Maximum", "More than 5000 client connections: a connection leak or a storm");
        // Only replicas report replication lag; after a failover the roles swap, so every node
        // but the first gets the alarm and the first is covered by the event notification.
        if (node > 1) alarm(node, "ReplicationLag", 30, "Maximum", "Replica more than 30 seconds behind the primary");
    }
}
