// prod deploys through an update plan (`pulumi preview --save-plan`, then `pulumi up --plan`;
// docs/delivery.md "Update plans"). Pulumi's docs name the program shape that breaks a plan: a
// resource created inside an `apply` whose value is unknown at preview is not in the plan, and the
// up then fails when it creates it. This keeps the program free of that shape.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

import { PROJECT_ROOT } from "../support/stacks";

/** `new X(...)` expressions inside the callback of an `.apply(...)` call, as file:line: text. */
export function resourcesInApply(file: string, source: string): string[] {
    const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const visit = (node: ts.Node, inApply: boolean) => {
        if (inApply && ts.isNewExpression(node)) {
            const callee = node.expression.getText(sf);
            // Errors and plain data are fine; anything else constructed in a callback is a resource
            // (or could become one) the plan cannot see.
            if (!/(^|\.)(\w*Error|Map|Set|Date|URL|RegExp|Buffer|Array)$/.test(callee)) {
                found.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}: new ${callee}`);
            }
        }
        const isApply = ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "apply";
        if (isApply) {
            visit(node.expression, inApply);
            for (const arg of node.arguments) visit(arg, true);
            return;
        }
        ts.forEachChild(node, (child) => visit(child, inApply));
    };
    visit(sf, false);
    return found;
}

describe("the program suits update plans (item 4)", () => {
    it("no resource is created inside an apply (it would be missing from the plan and fail the up)", () => {
        const files = ["index.ts", ...(fs.readdirSync(path.join(PROJECT_ROOT, "components")) as string[]).filter((f) => f.endsWith(".ts")).map((f) => `components/${f}`)];
        assert.ok(files.length > 5);
        const found = files.flatMap((f) => resourcesInApply(f, fs.readFileSync(path.join(PROJECT_ROOT, f), "utf8")));
        assert.deepEqual(found, []);
    });

    it("the check sees a resource created in an apply, and not one created outside", () => {
        const bad = `const role = new aws.iam.Role("r", {});
role.arn.apply((arn) => { new aws.iam.RolePolicy("p", { role: arn }); if (!arn) throw new Error("x"); });`;
        assert.deepEqual(resourcesInApply("bad.ts", bad), ["bad.ts:2: new aws.iam.RolePolicy"]);
        assert.deepEqual(resourcesInApply("ok.ts", `const r = new aws.iam.Role("r", {}); r.arn.apply((a) => a.toUpperCase());`), []);
    });
});
