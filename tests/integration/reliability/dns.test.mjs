// Finding 5 of #20: each event loop resolved names on one background thread, one lookup at a
// time and without cancellation, so one webhook host whose DNS never answers held up every
// lookup of that loop: the whole outbox, other calls' model requests. Here a fake DNS server
// (given to the server with --dns-servers) answers "*.good.test" with 127.0.0.1 and never
// answers "dead.test"; while the dead lookups are outstanding, the other calls' webhooks
// must still arrive at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { createCall, join, localAssistant, receiver, sleep, voxa, waitUntil } from "./lib.mjs";

/**
 * A UDP DNS server on loopback: A queries for good.test (and names under it) get 127.0.0.1,
 * AAAA queries for them an empty answer, dead.test (and names under it) no answer ever,
 * anything else NXDOMAIN. `queries` records {name, type, t}.
 */
async function fakeDns(t, { host = "127.0.0.1", port = 0 } = {}) {
    const sock = createSocket("udp4");
    const queries = [];
    sock.on("message", (msg, rinfo) => {
        if (msg.length < 17) return;
        const labels = [];
        let i = 12;
        while (i < msg.length && msg[i] !== 0) {
            labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString("latin1"));
            i += 1 + msg[i];
        }
        const qtype = msg.readUInt16BE(i + 1);
        const question = msg.subarray(12, i + 5);
        const name = labels.join(".").toLowerCase();
        queries.push({ name, type: qtype, t: Date.now() });
        if (name === "dead.test" || name.endsWith(".dead.test")) return;  // never answered
        const good = name === "good.test" || name.endsWith(".good.test");
        const answers = good && qtype === 1 ? 1 : 0;
        const header = Buffer.alloc(12);
        header.writeUInt16BE(msg.readUInt16BE(0), 0);           // id
        header.writeUInt16BE(0x8180 | (good ? 0 : 3), 2);        // response, RD, RA; NXDOMAIN
        header.writeUInt16BE(1, 4);                              // one question
        header.writeUInt16BE(answers, 6);
        const parts = [header, question];
        if (answers) {
            const rr = Buffer.alloc(16);
            rr.writeUInt16BE(0xc00c, 0);                         // the question's name
            rr.writeUInt16BE(1, 2);                              // A
            rr.writeUInt16BE(1, 4);                              // IN
            rr.writeUInt32BE(60, 6);                             // TTL
            rr.writeUInt16BE(4, 10);
            Buffer.from([127, 0, 0, 1]).copy(rr, 12);
            parts.push(rr);
        }
        sock.send(Buffer.concat(parts), rinfo.port, rinfo.address);
    });
    await new Promise((resolve, reject) => {
        sock.once("error", reject);
        sock.bind(port, host, resolve);
    });
    t.after(() => sock.close());
    return { port: sock.address().port, queries };
}

const callIdOf = (r) => {
    try {
        return JSON.parse(r.body).message.call.id;
    } catch {
        return undefined;
    }
};

/** A silent assistant whose status-update webhooks go to http://HOST:PORT/hook. */
const hooked = (host, port) => localAssistant({
    firstMessage: "",
    server: { url: `http://${host}:${port}/hook`, timeoutSeconds: 20 },
    serverMessages: ["status-update"],
});

test("a webhook host whose DNS never answers does not delay other calls' webhooks", async (t) => {
    const dns = await fakeDns(t);
    const rx = await receiver(t);
    const port = new URL(rx.url).port;
    // One event loop and one outbox loop: on the old resolver every lookup shared one thread.
    const v = await voxa(t, { args: ["--threads", "1", "--dns-servers", `127.0.0.1:${dns.port}`] });

    // Two calls whose webhooks go to names that never resolve: their lookups stay outstanding.
    const sockets = [];
    t.after(() => sockets.forEach((s) => s.close()));
    for (const host of ["dead.test", "a.dead.test"]) {
        const call = await createCall(v, hooked(host, port));
        sockets.push(await join(call));
    }
    await waitUntil(() => dns.queries.some((q) => q.name === "a.dead.test"), 5000, "the dead lookups");
    const deadSince = Math.min(...dns.queries.filter((q) => q.name.endsWith("dead.test")).map((q) => q.t));

    // Meanwhile, other calls on the same loops: each one's "in-progress" arrives at once.
    const delays = [];
    for (let i = 0; i < 4; i++) {
        const call = await createCall(v, hooked(i % 2 ? "good.test" : `c${i}.good.test`, port));
        const joined = Date.now();
        sockets.push(await join(call));
        const got = await waitUntil(() => rx.requests.find((r) => callIdOf(r) === call.id), 8000,
                                    `call ${i}'s webhook`, 20);
        assert.ok(got);
        delays.push(Date.now() - joined);
        await sleep(200);
    }
    const outstanding = Date.now() - deadSince;
    t.diagnostic(`webhook delays ${delays.join(", ")} ms while the dead lookups were ${outstanding} ms old`);
    for (const d of delays) assert.ok(d < 2000, `a webhook took ${d} ms behind a dead DNS lookup`);
    assert.ok(!rx.requests.some((r) => r.headers.host?.includes("dead.test")), "nothing reached the dead host");
    // The dead lookups were still unanswered all along (the fake never answers them).
    const metrics = await v.api("GET", "/metrics");
    assert.match(metrics.text, /voxa_dns_lookups_total\{result="query"\} [1-9]/);
});

// The same head-of-line blocking, shown without --dns-servers (so that it runs on older
// builds too): the server sees a resolv.conf (bind-mounted in a mount namespace of its own;
// the system's file is untouched) naming the fake DNS server on port 53 of a loopback
// address. One call's webhook host is dead.test, whose lookup hangs; the other calls'
// webhooks go to the literal 127.0.0.1. With one resolver thread per loop, even literals waited behind the name (asio
// hands every lookup to getaddrinfo on that thread); now they are delivered at once.
const canUnshare = (() => {
    if (process.getuid?.() !== 0) return false;
    try {
        execFileSync("unshare", ["-m", "true"]);
        return true;
    } catch {
        return false;
    }
})();

test("a resolv.conf server that never answers delays only the lookups that need it", { skip: !canUnshare && "needs root and unshare -m" }, async (t) => {
    const dir = mkdtempSync(joinPath(tmpdir(), "voxa-rel-dns-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const resolvConf = joinPath(dir, "resolv.conf");
    const dns = await fakeDns(t, { host: "127.83.91.7", port: 53 });
    writeFileSync(resolvConf, "nameserver 127.83.91.7\noptions timeout:5 attempts:2\n");
    const rx = await receiver(t);
    const port = new URL(rx.url).port;
    const v = await voxa(t, { args: ["--threads", "1"], resolvConf });
    const sockets = [];
    t.after(() => sockets.forEach((s) => s.close()));
    sockets.push(await join(await createCall(v, hooked("dead.test", port))));
    await waitUntil(() => dns.queries.some((q) => q.name.startsWith("dead.test")), 5000, "the dead lookup");
    const delays = [];
    for (let i = 0; i < 3; i++) {
        const call = await createCall(v, hooked("127.0.0.1", port));
        const joined = Date.now();
        sockets.push(await join(call));
        await waitUntil(() => rx.requests.find((r) => callIdOf(r) === call.id), 15000, `call ${i}'s webhook`, 20);
        delays.push(Date.now() - joined);
    }
    t.diagnostic(`webhooks to 127.0.0.1 took ${delays.join(", ")} ms while a name's lookup hung`);
    for (const d of delays) assert.ok(d < 2000, `a webhook to a literal address took ${d} ms behind a hung lookup`);
});
