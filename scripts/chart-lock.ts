// Writes or checks chart/Chart.lock without a chart repository. `helm dependency update` needs
// the repository's index to resolve versions; ours are pinned exactly in Chart.yaml, so the lock
// is Chart.yaml's dependencies plus Helm's digest of them (components/chart-lock.ts).
// `helm dependency build` then verifies that digest before it fetches anything.
//
//   npx ts-node --transpile-only scripts/chart-lock.ts --check   # exit 1 when out of sync
//   npx ts-node --transpile-only scripts/chart-lock.ts --write   # after a dependency change
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

import { ChartDependency, chartLockDigest, lockedDependencies } from "../components/chart-lock";

const CHART = path.resolve(__dirname, "..", "chart");

function main(mode: string | undefined): number {
    const chart = yaml.load(fs.readFileSync(path.join(CHART, "Chart.yaml"), "utf8")) as { dependencies?: ChartDependency[] };
    const requested = chart.dependencies ?? [];
    const lockFile = path.join(CHART, "Chart.lock");
    if (mode === "--write") {
        const locked = lockedDependencies(requested);
        const lock = { dependencies: locked, digest: chartLockDigest(requested, locked), generated: new Date().toISOString() };
        fs.writeFileSync(lockFile, yaml.dump(lock, { lineWidth: -1 }));
        console.log(`chart-lock: wrote ${path.relative(process.cwd(), lockFile)} (${lock.digest})`);
        return 0;
    }
    if (mode !== "--check") {
        console.error("usage: chart-lock.ts --check | --write");
        return 2;
    }
    if (!fs.existsSync(lockFile)) {
        console.error("chart-lock: chart/Chart.lock is missing; run scripts/chart-lock.ts --write and commit it");
        return 1;
    }
    const lock = yaml.load(fs.readFileSync(lockFile, "utf8")) as { dependencies?: ChartDependency[]; digest?: string };
    const locked = lock.dependencies ?? [];
    const want = chartLockDigest(requested, locked);
    const problems: string[] = [];
    if (lock.digest !== want) problems.push(`digest ${lock.digest} is not Helm's digest of Chart.yaml + the lock (${want})`);
    for (const d of requested) {
        const l = locked.find((x) => x.name === d.name);
        if (!l) problems.push(`${d.name} is in Chart.yaml but not locked`);
        else if (l.version !== d.version || (l.repository ?? "") !== (d.repository ?? "")) {
            problems.push(`${d.name}: Chart.yaml asks ${d.version} from ${d.repository}, the lock has ${l.version} from ${l.repository}`);
        }
    }
    if (problems.length) {
        console.error(`chart-lock: chart/Chart.lock is out of sync with chart/Chart.yaml (run scripts/chart-lock.ts --write):\n  ${problems.join("\n  ")}`);
        return 1;
    }
    console.log(`chart-lock: chart/Chart.lock matches chart/Chart.yaml (${want})`);
    return 0;
}

process.exitCode = main(process.argv[2]);
