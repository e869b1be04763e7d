// Durable delivery: a receiver that fails (500s, timeouts) and recovers gets every event
// exactly once, in order per call; a server killed with -9 while events are pending
// delivers them all after its restart.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";
import { startReceiver } from "./receiver.mjs";

// Delivered requests grouped by X-Voxa-Event-Id; asserts one 2xx per id, in call order.
function checkDelivered(rx, callId) {
    const mine = rx.requests.filter((r) => r.json?.message?.call?.id === callId);
    const ok = mine.filter((r) => r.status >= 200 && r.status < 300);
    const perId = new Map();
    for (const r of ok) perId.set(r.headers["x-voxa-event-id"], (perId.get(r.headers["x-voxa-event-id"]) ?? 0) + 1);
    for (const [id, n] of perId) assert.equal(n, 1, `event ${id} delivered ${n} times`);
    const attempted = new Set(mine.map((r) => r.headers["x-voxa-event-id"]));
    assert.deepEqual([...attempted].filter((id) => !perId.has(id)), [], "every event that was tried was delivered");
    const ts = ok.map((r) => r.json.message.timestamp);
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i] >= ts[i - 1], `delivery ${i} out of order`);
    assert.equal(ok[0].type, "status-update");
    assert.equal(ok.at(-1).type, "end-of-call-report");
    return { attempts: mine.length, delivered: ok.length, failures: mine.length - ok.length };
}

test("receiver outage: 500s and timeouts for a while, then every event once, in order", async (t) => {
    let downUntil = Date.now() + 1e9;
    let n = 0;
    const rx = await startReceiver(() => {
        if (Date.now() < downUntil) return ++n % 3 === 0 ? { hang: true } : { status: 500, json: { error: "down" } };
        return { status: 200, json: {} };
    });
    t.after(() => rx.close());
    const assistant = L.localAssistant({
        firstMessage: "Hello there.",
        server: { url: `${rx.url}/hook`, timeoutSeconds: 1 },
        serverMessages: ["status-update", "speech-update", "conversation-update", "transcript", "end-of-call-report"],
    });
    const { call, client } = await L.startCall({ assistant });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 8000);
    await L.control(call, { type: "end-call" });
    // Outage for ~3 s after the call ended, then up.
    await L.sleep(3000);
    const failedDuringOutage = rx.requests.length;
    downUntil = Date.now();
    await rx.waitFor(() => rx.delivered().some((r) => r.type === "end-of-call-report" && r.json.message.call.id === call.id),
                     30000, "the end-of-call-report after the outage");
    const c = checkDelivered(rx, call.id);
    L.note(`faults: ${c.delivered} events delivered once each after ${c.failures} failed attempts (500s and 1 s timeouts); ${failedDuringOutage} requests during the outage`);
    assert.ok(c.failures >= 3, "the outage was seen");
    // The failed attempts are in the logs with their status codes and latency.
    const logs = await L.waitForLogs(`callId=${call.id}&limit=1000`, c.attempts);
    const codes = logs.json.results.map((l) => l.responseHttpCode);
    assert.ok(codes.includes(500) && codes.includes(200), JSON.stringify(codes));
    assert.ok(logs.json.results.some((l) => l.responseHttpCode === 0 && /timeout/i.test(l.error)), "a timed-out attempt is logged");
    assert.equal(logs.json.results.length, c.attempts);
});

test("kill -9 with events pending: after the restart every event is delivered", async (t) => {
    let up = false;
    const rx = await startReceiver(() => (up ? { status: 200, json: {} } : { status: 503, json: { error: "maintenance" } }));
    t.after(() => rx.close());

    const voxa = await L.ownVoxa(t);
    const api = voxa.api;
    const created = await api("POST", "/call", {
        assistant: L.localAssistant({ firstMessage: "Hello there.", server: { url: `${rx.url}/hook` },
                                      serverMessages: ["status-update", "speech-update", "transcript", "end-of-call-report"] }),
        transport: { provider: "vapi.websocket", audioFormat: { format: "pcm_s16le", container: "raw", sampleRate: 16000 } },
    });
    assert.equal(created.status, 201);
    const call = created.json;
    const client = await L.CallClient.connect(call);
    t.after(() => client.close());
    client.startContinuous();
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 8000);
    client.send({ type: "end-call" });
    await client.closedPromise;
    // Events of one call go out in order, so while the first one is refused the rest wait
    // in the outbox. The call's record is final once it reads "ended"; the end-of-call-report
    // is stored right after that (the first message alone is below the analysis threshold).
    for (let i = 0; i < 100 && (await api("GET", `/call/${call.id}`)).json.status !== "ended"; i++) await L.sleep(100);
    await L.sleep(1500);
    assert.ok(rx.requests.length >= 1 && rx.delivered().length === 0, "the receiver refused everything so far");
    const triedBefore = new Set(rx.requests.map((r) => r.headers["x-voxa-event-id"]));

    voxa.proc.kill("SIGKILL");
    await new Promise((r) => voxa.proc.once("exit", r));
    up = true;
    const restartedAt = Date.now();
    await voxa.restart();

    await rx.waitFor(() => rx.delivered().some((r) => r.type === "end-of-call-report"), 30000, "delivery after the restart");
    const c = checkDelivered(rx, call.id);
    const deliveredIds = new Set(rx.delivered().map((r) => r.headers["x-voxa-event-id"]));
    for (const id of triedBefore) assert.ok(deliveredIds.has(id), `event ${id} was lost`);
    L.note(`kill -9: ${rx.requests.length - c.delivered} refused attempts before the kill; ${c.delivered} events delivered once each ` +
           `${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart`);
    // The stored call is intact too.
    const rec = await api("GET", `/call/${call.id}`);
    assert.equal(rec.json.status, "ended");
});
