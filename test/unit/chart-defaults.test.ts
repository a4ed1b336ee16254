// The config rules assume the chart's defaults for keys a stack leaves unset (config/chart-defaults.ts).
// The chart is the source of truth: this fails when chart/values.yaml changes one of them.
import * as assert from "assert";

import { CHART_DEFAULTS } from "../../config";
import { chartDefaults } from "../support/helm-values";

describe("chart defaults the config rules assume", () => {
    it("match chart/values.yaml", () => {
        const v = chartDefaults() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        assert.deepStrictEqual(CHART_DEFAULTS, {
            replicaCount: v.replicaCount,
            maxSurge: v.rollingUpdate.maxSurge,
            startupPeriodSeconds: v.startupProbe.periodSeconds,
            startupFailureThreshold: v.startupProbe.failureThreshold,
            migrationDeadlineSeconds: v.migrations.activeDeadlineSeconds,
            preStopDelaySeconds: v.preStopDelaySeconds,
            terminationGracePeriodSeconds: v.terminationGracePeriodSeconds,
        });
    });
});
