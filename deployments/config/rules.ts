// Rules that span several fields. They run even when some field failed its own check, so one run
// reports every problem; each rule therefore reads only fields that parsed to the right type.
import type { z } from "zod";

import type { Parsed } from "./schema";
import { looksLikeSecretValue, SECRET_LOOKING_NAME } from "./secrets";

type Issue = (path: (string | number)[], message: string) => void;

export function crossFieldRules(c: Partial<Parsed>, ctx: z.RefinementCtx): void {
    const issue: Issue = (path, message) => ctx.addIssue({ code: "custom", path, message });

    for (const [name, stack] of Object.entries(c.stacks ?? {})) {
        if (stack?.production !== true) continue;
        // Pulumi Deployments has no approval of its own: whoever may update the stack can start a
        // deployment from the console or the REST API, with the stack's role, past the GitHub
        // Environment's reviewers (review m1). Production deploys only through deploy.yml.
        issue(["stacks", name, "production"], "production stacks are not configured in Pulumi Deployments (a console or API deployment skips the prod Environment's approval); deploy them through deploy.yml");
    }

    checkEnvironment(c.executor?.environmentVariables, ["executor", "environmentVariables"], issue);
    for (const [name, stack] of Object.entries(c.stacks ?? {})) {
        checkEnvironment(stack?.environmentVariables, ["stacks", name, "environmentVariables"], issue);
    }

    // Pulumi Deployments' own dependency install is skipped (stack-deployment.ts), so the
    // pre-run commands must install the program's dependencies themselves, from the lock file.
    const commands = c.executor?.preRunCommands;
    if (Array.isArray(commands) && !commands.some((cmd) => /(^|&&|;)\s*npm ci\b/.test(cmd))) {
        issue(["executor", "preRunCommands"], "must include `npm ci` (the deployment's own dependency install is skipped)");
    }
}

function checkEnvironment(vars: Record<string, string> | undefined, at: string[], issue: Issue): void {
    for (const [name, value] of Object.entries(vars ?? {})) {
        if (SECRET_LOOKING_NAME.test(name)) {
            issue([...at, name], "looks like a secret; deployment settings are stored in plain text (put it in the stack's ESC environment)");
        } else if (typeof value === "string" && looksLikeSecretValue(value)) {
            // The value itself is never echoed.
            issue([...at, name], "has the format of a credential; deployment settings are stored in plain text (put it in the stack's ESC environment)");
        }
    }
}
