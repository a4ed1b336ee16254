// What a secret looks like, by name and by value. Deployment settings must never carry one:
// @pulumi/pulumiservice sends `operationContext.environmentVariables` to Pulumi Cloud as plain
// values (not marked secret), where anyone who can read the stack's settings sees them. Secrets
// reach a deployment through the stack's ESC environment or its encrypted stack config instead.

/** Environment variable names that announce a credential. */
export const SECRET_LOOKING_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY)/i;

/** Well-known credential formats, so a pasted value is caught whatever its name. */
const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
    /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, // AWS access key id
    /\bpul-[0-9a-f]{40}\b/, // Pulumi access token
    /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})\b/, // GitHub tokens
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/, // PEM private key
    /\bxox[abposr]-[A-Za-z0-9-]{10,}/, // Slack tokens
];

/** True when a value has the format of a known credential. */
export function looksLikeSecretValue(value: string): boolean {
    return SECRET_VALUE_PATTERNS.some((p) => p.test(value));
}
