// Flat config: typescript-eslint's recommended rules plus the Pulumi plugin's rules, which catch
// an Output interpolated into a template literal (it renders as an error string, not the value).
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "chart/", "out/", ".tmp/", ".pulumi/", ".pulumi-state/"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        // The Pulumi rules need type information.
        languageOptions: {
            parserOptions: {
                // benchmarks/ is outside tsconfig.json's include list (it is not part of the program).
                projectService: { allowDefaultProject: ["benchmarks/*.ts"], defaultProject: "tsconfig.json" },
                tsconfigRootDir: import.meta.dirname,
            },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    {
        // Plain Node scripts (CommonJS) of the chart tooling.
        files: ["**/*.js", "**/*.cjs"],
        languageOptions: { sourceType: "commonjs" },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
