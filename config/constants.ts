// Names shared by every part of the config.

/** Pulumi config namespace of this project (the project name in Pulumi.yaml). */
export const PROJECT = "taskflow-api";
export const NAMESPACE_PREFIX = `${PROJECT}:`;
