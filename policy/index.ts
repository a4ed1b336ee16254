// The taskflow-api policy pack, as the engine loads it (`--policy-pack policy`). The policies live
// in policies/index.ts; see docs/delivery.md, "Policy pack", for the rule table.
import { PolicyPack } from "@pulumi/policy";

import { policies } from "./policies";

new PolicyPack("taskflow-api", {
    // Every policy states its own level; this default only covers one that forgot.
    enforcementLevel: "mandatory",
    description: "The taskflow-api production checklist: ElastiCache, IRSA/IAM, the Helm release, Kubernetes Secrets and Pod Security, tags and public ingress.",
    policies,
});
