// The e2e load generator counts every request, including one whose response is cut mid-body
// (test audit 2026-12-07, finding 2: such a request was never counted and its loop stalled, so
// stop() never returned). Run against a real HTTP server on loopback that resets every 5th answer.
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";

import { LoadGenerator } from "../../e2e/harness";

describe("the e2e load generator", () => {
    let server: http.Server;
    let served = 0;

    before(async () => {
        server = http.createServer((_req, res) => {
            served++;
            if (served % 5 === 0) {
                // Headers and half the promised body, then a reset: the client sees `complete` false.
                res.writeHead(200, { "content-length": "100" });
                res.write("x".repeat(50), () => res.socket?.resetAndDestroy());
                return;
            }
            if (served % 7 === 0) {
                res.writeHead(503).end("busy");
                return;
            }
            res.writeHead(200).end("ok");
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    });

    after(() => new Promise<void>((r) => server.close(() => r())));

    it("counts cut responses and non-2xx answers as failures, and stop() returns", async () => {
        const { port } = server.address() as AddressInfo;
        const load = new LoadGenerator(`http://127.0.0.1:${port}/`, 4, 1);
        await new Promise((r) => setTimeout(r, 400));
        const report = await Promise.race([
            load.stop(),
            new Promise<never>((_, reject) => setTimeout(() => reject(new Error("stop() did not return within 5 s")), 5000)),
        ]);
        assert.ok(report.requests >= 20, `only ${report.requests} requests`);
        // Every request the server saw is counted by the client, none lost.
        assert.strictEqual(report.requests, served);
        const cut = load.timeline.filter((t) => /cut mid-body|aborted|ECONNRESET|socket hang up/.test(t.why ?? "")).length;
        const busy = load.timeline.filter((t) => t.why === "HTTP 503").length;
        console.log(`      ${served} served, ${report.requests} counted, ${cut} cut, ${busy} 503; reasons: ${[...new Set(load.timeline.map((t) => t.why))].join(" / ")}`);
        assert.ok(cut >= Math.floor(served / 5) - 1, `${cut} cut responses counted of ${Math.floor(served / 5)}`);
        assert.ok(busy >= 1, "a 503 answer is a failure");
        assert.strictEqual(report.failed, cut + busy);
    });
});
