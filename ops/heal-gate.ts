// The two halves of heal that are not `pulumi up` (ops/heal.sh, and deploy.yml's heal dispatch):
//
//   ops/heal-gate.ts token --stack S --config-file F [--token T]
//       writes `release.healToken` (default: the UTC time) into the stack config file F, leaving
//       every other line as it was; prints the token.
//   ops/heal-gate.ts check --stack S --head SHA --history FILE [--preview FILE]
//       the gate for a heal from an operator's checkout of a protected stack (review M8):
//       passes only when HEAD is the commit of the stack's last successful update
//       (`pulumi stack history --json`) and the preview (`pulumi preview --json`) changes
//       nothing but the Release's description (the heal token). Anything else would ship with
//       the heal, outside the deploy workflow's approval. Without --preview, the commit alone
//       (heal checks it again right before its `up`, review M4). Exit 0 pass, 1 refused (with why).
import * as fs from "fs";
import * as yaml from "js-yaml";

/* eslint-disable @typescript-eslint/no-explicit-any -- Pulumi's JSON is read loosely. */

/** The stack file's text with `taskflow-api:release.healToken` set to `token`. */
export function withHealToken(text: string, token: string): string {
    const doc = (yaml.load(text) ?? {}) as { config?: Record<string, any> };
    doc.config ??= {};
    const release = (doc.config["taskflow-api:release"] ??= {});
    if (typeof release !== "object" || release === null) throw new Error("taskflow-api:release is not a map");
    release.healToken = token;
    // Re-dumped: comments go, which is why heal writes a copy for the run (see heal.sh).
    return yaml.dump(doc, { lineWidth: -1, noRefs: true });
}

export interface HistoryEntry {
    readonly result?: string;
    readonly kind?: string;
    readonly environment?: Record<string, string>;
}

/** The git commit of the stack's last successful update, from `pulumi stack history --json`. */
export function deployedCommit(history: readonly HistoryEntry[]): string | undefined {
    const ok = history.filter((h) => h.result === "succeeded" && (h.kind === "update" || h.kind === undefined));
    // The CLI lists the newest first.
    return ok[0]?.environment?.["git.head"];
}

/** Why the preview is more than a heal, or [] when it changes only the Release's description. */
export function previewProblems(preview: any): string[] {
    const problems: string[] = [];
    for (const step of preview?.steps ?? []) {
        // The URN's type is qualified by its parents' (`taskflow:app:TaskflowApi$kubernetes:…`).
        const op = step.op as string, urn = String(step.urn ?? ""), type = (urn.split("::")[2] ?? "").split("$").pop() as string;
        if (op === "same" || op === "read" || op === "refresh") continue;
        if (type === "kubernetes:helm.sh/v3:Release" && op === "update") {
            const keys = (step.diffReasons ?? []) as string[];
            const other = keys.filter((k) => k !== "description");
            if (keys.length === 0) problems.push(`${urn}: update without a diff (cannot tell what changes)`);
            if (other.length > 0) problems.push(`${urn}: changes ${other.join(", ")} besides the heal token`);
            continue;
        }
        if (type === "pulumi:pulumi:Stack") continue;
        // HEAD is the deployed commit, so an update of a Kubernetes object after the refresh can
        // only put back what was changed by hand (the Namespace, the Redis Secret).
        if (op === "update" && type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm.sh")) continue;
        problems.push(`${urn}: ${op}`);
    }
    return problems;
}

function flags(argv: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2);
        if (!flag.startsWith("--")) throw new Error(`unexpected argument ${argv[i]}`);
        out[flag.slice(2)] = inline ?? argv[++i];
    }
    return out;
}

function main(): number {
    const [command, ...rest] = process.argv.slice(2);
    const f = flags(rest);
    if (command === "token") {
        const token = f.token ?? new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
        const file = f["config-file"] ?? `Pulumi.${f.stack}.yaml`;
        fs.writeFileSync(file, withHealToken(fs.readFileSync(file, "utf8"), token));
        console.log(token);
        return 0;
    }
    if (command === "check") {
        const history = JSON.parse(fs.readFileSync(f.history, "utf8")) as HistoryEntry[];
        const deployed = deployedCommit(history);
        const problems: string[] = [];
        if (!deployed) problems.push(`no successful update of ${f.stack} records its git commit`);
        else if (deployed !== f.head) problems.push(`HEAD ${f.head.slice(0, 12)} is not the deployed commit ${deployed.slice(0, 12)}: check it out (git checkout ${deployed.slice(0, 12)}), or heal through the deploy workflow`);
        if (f.preview) problems.push(...previewProblems(JSON.parse(fs.readFileSync(f.preview, "utf8"))));
        if (problems.length === 0) {
            console.log(`heal gate: HEAD is the deployed commit of ${f.stack}${f.preview ? " and the preview changes only the heal token" : ""}`);
            return 0;
        }
        console.error(`heal gate: refused for ${f.stack}:`);
        for (const p of problems) console.error(`  - ${p}`);
        console.error(`  Heal ${f.stack} through its deploy workflow instead: gh workflow run deploy.yml --ref main -f heal=true`);
        return 1;
    }
    console.error("usage: ops/heal-gate.ts token|check ... (see the header)");
    return 2;
}

if (require.main === module) {
    try {
        process.exitCode = main();
    } catch (e) {
        console.error(`heal-gate: ${(e as Error).message}`);
        process.exitCode = 2;
    }
}
