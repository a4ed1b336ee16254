// Chart defaults (chart/values.yaml) that cross-field rules need when a stack leaves the key to
// the chart. The chart is the source; test/unit/chart-defaults.test.ts fails when they drift.

export const CHART_DEFAULTS = {
    replicaCount: 1,
    maxSurge: "25%",
    /** startupProbe: a pod may take periodSeconds x failureThreshold to start. */
    startupPeriodSeconds: 5,
    startupFailureThreshold: 30,
    migrationDeadlineSeconds: 300,
    preStopDelaySeconds: 10,
    terminationGracePeriodSeconds: 30,
} as const;

/** What the app needs after SIGTERM to finish in-flight requests when the stack does not say. */
export const DEFAULT_DRAIN_SECONDS = 15;
