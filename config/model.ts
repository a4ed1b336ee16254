// The validated model the components consume, and the defaults that complete it.
import { z } from "zod";

import { DEFAULT_ENGINE_VERSION, ENGINE_VERSIONS } from "./aws-limits";
import { DEFAULT_MAINTENANCE_WINDOW, DEFAULT_SNAPSHOT_WINDOW } from "./names";
import type { ClusterFact } from "./schema/cluster";
import type { appSchema } from "./schema/app";
import type { clusterSchema } from "./schema/cluster";
import type { Parsed } from "./schema";
import type { policyStatementSchema } from "./schema/service-account";

export type { ClusterFact };

export type RedisEngine = keyof typeof ENGINE_VERSIONS;
export type PolicyStatement = z.output<typeof policyStatementSchema>;
export type AppConfig = z.output<typeof appSchema>;
export type ClusterConfig = z.output<typeof clusterSchema>;

/** Redis inside the cluster: the chart's Valkey subchart (dev). */
export interface InClusterRedis {
    readonly mode: "inCluster";
    /** Bumping it generates a new password. */
    readonly authTokenVersion: number;
}

/** ElastiCache replication group (staging, prod). */
export interface ElastiCacheRedis {
    readonly mode: "elasticache";
    readonly authTokenVersion: number;
    readonly engine: RedisEngine;
    readonly engineVersion: string;
    /** Parameter group family derived from engine + version (valkey8, redis7, ...). */
    readonly family: string;
    readonly nodeType: string;
    readonly numNodes: number;
    /** Multi-AZ with automatic failover; true by default when numNodes >= 2. */
    readonly multiAz: boolean;
    readonly port: number;
    readonly snapshotRetentionDays: number;
    readonly snapshotWindow: string;
    readonly maintenanceWindow: string;
    readonly slowLogRetentionDays: number;
    readonly authTokenLength: number;
    /** ROTATE keeps the previous token valid; SET retires it (README, rotation). */
    readonly authTokenUpdateStrategy: "ROTATE" | "SET";
    readonly applyImmediately: boolean;
    /** Pulumi `protect`: the replication group cannot be deleted by `pulumi destroy`/`up`. */
    readonly protect: boolean;
    /** Take a final snapshot when the replication group is deleted. */
    readonly finalSnapshot: boolean;
    /** Its name; undefined means `<release>-<stack>-final`. */
    readonly finalSnapshotName?: string;
    readonly transitEncryptionMode: "preferred" | "required";
    /** Node alarms and an SNS topic for them and the group's events. */
    readonly alarms: boolean;
    /** NetworkPolicy destinations on the Redis port (the cache subnets' CIDRs); undefined: any. */
    readonly egressCidrs?: string[];
}

/** A Redis or Valkey the stack does not own: only the Kubernetes half runs (same chart path as
 * ElastiCache: external host, pre-install migration, no subchart). */
export interface ExternalRedis {
    readonly mode: "external";
    /** Bumped together with a new token: rolls the pods (checksum/existing-secret). */
    readonly authTokenVersion: number;
    readonly host: string;
    readonly port: number;
    readonly tls: boolean;
    /** PEM CA bundle (secret config value); undefined: Node.js' public roots. */
    readonly caCert?: string;
    /** The token (secret config value); or authTokenSecret. */
    readonly authToken?: string;
    /** An existing Secret in the namespace holding the token. */
    readonly authTokenSecret?: { readonly name: string; readonly key: string };
    /** NetworkPolicy destinations on the Redis port; undefined: any. */
    readonly egressCidrs?: string[];
}

export interface Config {
    readonly namespace: { readonly name: string; readonly create: boolean };
    readonly release: { readonly name: string; readonly timeoutSeconds: number; readonly maxHistory: number; readonly healToken?: string };
    readonly app: AppConfig;
    readonly serviceAccount: {
        readonly name: string;
        readonly iam?: {
            readonly managedPolicyArns: string[];
            readonly policyStatements: PolicyStatement[];
            readonly permissionsBoundaryArn?: string;
            readonly path?: string;
        };
    };
    readonly redis: InClusterRedis | ElastiCacheRedis | ExternalRedis;
    readonly cluster: ClusterConfig;
    readonly aws?: { readonly region: string; readonly allowedAccountIds: string[]; readonly tags: Record<string, string> };
}

export function engineFamily(engine: RedisEngine, version: string): string {
    const major = Number(version.split(".")[0]);
    return engine === "valkey" ? `valkey${major}` : major >= 7 ? `redis${major}` : `redis${major}.x`;
}

export function withDefaults(p: Parsed): Config {
    const r = p.redis;
    const authTokenVersion = r.authTokenVersion ?? 1;
    let redis: Config["redis"];
    if (r.mode === "inCluster") {
        redis = { mode: "inCluster", authTokenVersion };
    } else if (r.mode === "external") {
        // The rules made host and one token source present.
        redis = {
            mode: "external",
            authTokenVersion,
            host: r.host ?? "",
            port: r.port ?? 6379,
            tls: r.tls ?? true,
            caCert: r.caCert,
            authToken: r.authToken,
            authTokenSecret: r.authTokenSecret && { name: r.authTokenSecret.name, key: r.authTokenSecret.key ?? "redis-password" },
            egressCidrs: r.egressCidrs,
        };
    } else {
        const engine = r.engine ?? "valkey";
        const engineVersion = r.engineVersion ?? DEFAULT_ENGINE_VERSION[engine];
        const numNodes = r.numNodes ?? 1;
        redis = {
            mode: "elasticache",
            authTokenVersion,
            engine,
            engineVersion,
            family: engineFamily(engine, engineVersion),
            nodeType: r.nodeType ?? "cache.t4g.small",
            numNodes,
            multiAz: r.multiAz ?? numNodes >= 2,
            port: r.port ?? 6379,
            snapshotRetentionDays: r.snapshotRetentionDays ?? 1,
            snapshotWindow: r.snapshotWindow ?? DEFAULT_SNAPSHOT_WINDOW,
            maintenanceWindow: r.maintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW,
            slowLogRetentionDays: r.slowLogRetentionDays ?? 14,
            authTokenLength: r.authTokenLength ?? 64,
            authTokenUpdateStrategy: r.authTokenUpdateStrategy ?? "ROTATE",
            applyImmediately: r.applyImmediately ?? false,
            protect: r.protect ?? false,
            finalSnapshot: r.finalSnapshot ?? r.finalSnapshotName !== undefined,
            finalSnapshotName: r.finalSnapshotName,
            transitEncryptionMode: r.transitEncryptionMode ?? "required",
            alarms: r.alarms ?? false,
            egressCidrs: r.egressCidrs,
        };
    }
    return {
        namespace: p.namespace,
        release: p.release,
        app: p.app,
        serviceAccount: { name: p.serviceAccount.name ?? p.release.name, iam: p.serviceAccount.iam },
        redis,
        cluster: p.cluster,
        aws: p.aws && { region: p.aws.region, allowedAccountIds: p.aws.allowedAccountIds ?? [], tags: p.aws.tags ?? {} },
    };
}
