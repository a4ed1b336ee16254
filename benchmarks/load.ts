// A load generator for benchmarks/engine.sh: the e2e suite's (e2e/harness.ts), run until
// SIGINT or SIGTERM, then one line of JSON: requests, failed, sample failures, p50/p99/max ms.
//   node -r ts-node/register/transpile-only benchmarks/load.ts http://10.0.0.17/v1/roundtrip [concurrency]
import { LoadGenerator } from "../e2e/harness";

const [url, concurrency] = process.argv.slice(2);
if (!url) {
    console.error("usage: load.ts URL [CONCURRENCY]");
    process.exit(2);
}
const load = new LoadGenerator(url, Number(concurrency ?? 4));
const finish = async () => {
    console.log(JSON.stringify(await load.stop()));
    process.exit(0);
};
process.on("SIGINT", finish);
process.on("SIGTERM", finish);
