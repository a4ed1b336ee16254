// Every policy of the pack, in the order docs/delivery.md's rule table lists them. Exported on their
// own so the unit tests call the very validation functions the engine runs, without a PolicyPack
// (whose constructor starts the analyzer's gRPC server).
import type { Policies } from "@pulumi/policy";

import * as elasticache from "./elasticache";
import { elasticacheIngressFromSecurityGroupOnly } from "./elasticache-network";
import { helmReleaseAtomic, helmReleaseBoundedTimeout, helmReleaseLocalChart, helmReleaseMaxHistory, helmValuesNoSecretLiterals } from "./helm-release";
import { helmRedisSubchartOnlyWithoutElasticache, helmReleaseNamespacePssRestricted } from "./helm-stack";
import { iamNoWildcardActions, iamNoWildcardResourceForWrites } from "./iam-permissions";
import { iamTrustNoWildcards, irsaTrustPolicy } from "./irsa";
import { kubernetesNamespacePssLabels, kubernetesSecretDataIsSecret } from "./kubernetes";
import { awsResourcesTagged, noPublicIngress } from "./stack";

export const policies: Policies = [
    elasticache.elasticacheAutomaticBackups,
    elasticache.elasticacheAutoMinorVersionUpgrade,
    elasticache.elasticacheAutomaticFailover,
    elasticache.elasticacheEncryptionAtRest,
    elasticache.elasticacheEncryptionInTransit,
    elasticache.elasticacheAuth,
    elasticache.elasticacheNoDefaultSubnetGroup,
    elasticacheIngressFromSecurityGroupOnly,
    elasticache.elasticacheProductionProtection,
    irsaTrustPolicy,
    iamTrustNoWildcards,
    iamNoWildcardActions,
    iamNoWildcardResourceForWrites,
    helmReleaseAtomic,
    helmReleaseBoundedTimeout,
    helmReleaseMaxHistory,
    helmReleaseLocalChart,
    helmValuesNoSecretLiterals,
    helmRedisSubchartOnlyWithoutElasticache,
    helmReleaseNamespacePssRestricted,
    kubernetesSecretDataIsSecret,
    kubernetesNamespacePssLabels,
    awsResourcesTagged,
    noPublicIngress,
];
