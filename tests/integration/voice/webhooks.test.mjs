// Server messages to the assistant's server URL: Vapi's {"message": {...}} shape, the
// serverMessages filter, signatures and headers, per-call order, end-of-call-report with
// analysis, and the delivery logs (GET /logs).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";
import { hmacHex, startReceiver } from "./receiver.mjs";

// A user turn without audio: add-message through the control URL, then wait for the reply.
async function userSays(call, client, text) {
    const before = client.ofType("speech-update").filter((m) => m.role === "assistant" && m.status === "stopped").length;
    const r = await L.control(call, { type: "add-message", message: { role: "user", content: text } });
    assert.equal(r.status, 200, r.text);
    await client.waitFor((c) => c.ofType("speech-update").filter((m) => m.role === "assistant" && m.status === "stopped").length > before,
                         10000, `the reply to "${text}"`);
}

test("server messages: Vapi's shape, serverMessages filter, HMAC signature, static headers, order, end-of-call-report", async (t) => {
    const rx = await startReceiver();
    t.after(() => rx.close());
    const secret = "whsec_voxa_test";
    const cred = await L.api("POST", "/credential", {
        provider: "webhook", name: "hooks",
        authenticationPlan: { type: "hmac", secretKey: secret, algorithm: "sha256" } });
    assert.equal(cred.status, 201, cred.text);
    assert.equal(cred.json.authenticationPlan.secretKey, undefined, "the secret is never returned");

    const assistant = L.localAssistant({
        firstMessage: "Hello there.",
        server: { url: `${rx.url}/hook`, credentialId: cred.json.id, headers: { "X-Customer": "acme" } },
        serverMessages: ["status-update", "speech-update", "conversation-update", "transcript", "end-of-call-report", "user-interrupted", "hang"],
        metadata: { ticket: "T-1" },
    });
    const { call, client } = await L.startCall({ assistant, customer: { number: "+15551234567", name: "Ada" } });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 8000);
    await userSays(call, client, "hello");
    const end = await L.control(call, { type: "end-call" });
    assert.equal(end.status, 200);
    await rx.waitFor((reqs) => reqs.some((r) => r.type === "end-of-call-report"), 20000, "end-of-call-report");

    const reqs = rx.requests;
    const types = reqs.map((r) => r.type);
    L.note(`webhooks: ${reqs.length} requests: ${[...new Set(types)].join(", ")}`);
    // Only the types asked for; model-output is not in serverMessages.
    for (const ty of types) assert.ok(assistant.serverMessages.includes(ty), `unexpected ${ty}`);
    for (const ty of ["status-update", "speech-update", "conversation-update", "transcript", "end-of-call-report"])
        assert.ok(types.includes(ty), `no ${ty} among ${types}`);

    const ids = new Set();
    let lastTs = 0;
    for (const r of reqs) {
        assert.equal(r.path, "/hook");
        assert.match(r.headers["content-type"], /application\/json/);
        assert.equal(r.headers["x-customer"], "acme");
        // HMAC over "{timestamp}.{body}" (the credential's default payloadFormat).
        const ts = r.headers["x-timestamp"];
        assert.ok(ts && Math.abs(Number(ts) - r.t) < 60000, `x-timestamp ${ts}`);
        assert.equal(r.headers["x-signature"], hmacHex(secret, `${ts}.${r.text}`), "signature");
        const id = r.headers["x-voxa-event-id"];
        assert.ok(id && !ids.has(id), "a fresh X-Voxa-Event-Id per event");
        ids.add(id);
        // The envelope.
        const m = r.json.message;
        assert.deepEqual(Object.keys(r.json), ["message"]);
        assert.equal(typeof m.timestamp, "number");
        assert.ok(m.timestamp >= lastTs, "in order");
        lastTs = m.timestamp;
        assert.equal(m.call.id, call.id);
        assert.equal(m.call.orgId, call.orgId);
        assert.equal(m.assistant.firstMessage, "Hello there.");
        assert.deepEqual(m.assistant.metadata, { ticket: "T-1" });
        assert.equal(m.customer.number, "+15551234567");
    }
    const status = rx.ofType("status-update").map((r) => r.json.message);
    assert.deepEqual(status.map((m) => m.status), ["in-progress", "ended"]);
    assert.equal(status[1].endedReason, "customer-ended-call");
    assert.ok(Array.isArray(status[1].artifact.messages), "ended status-update carries the artifact");
    assert.equal(types[0], "status-update");
    assert.equal(types.at(-1), "end-of-call-report");

    const speech = rx.ofType("speech-update").map((r) => r.json.message);
    assert.ok(speech.some((m) => m.role === "assistant" && m.status === "started" && m.turn === 0));
    const tr = rx.ofType("transcript").map((r) => r.json.message);
    assert.ok(tr.some((m) => m.role === "assistant" && m.transcriptType === "final" && /hello there/i.test(m.transcript)), JSON.stringify(tr));
    const conv = rx.ofType("conversation-update").at(-1).json.message;
    assert.ok(conv.messages.some((m) => m.role === "user" && m.message === "hello"));
    assert.ok(Array.isArray(conv.messagesOpenAIFormatted));

    const report = rx.ofType("end-of-call-report")[0].json.message;
    assert.equal(report.endedReason, "customer-ended-call");
    assert.ok(report.artifact.messages.some((m) => m.role === "bot"));
    assert.match(report.artifact.transcript, /AI: Hello there\./);
    assert.match(report.transcript, /User: hello/);
    assert.equal(typeof report.cost, "number");
    assert.ok(report.durationSeconds > 0);
    assert.equal(typeof report.analysis, "object");
    assert.equal(typeof report.analysis.summary, "string", JSON.stringify(report.analysis));
    assert.ok(report.artifact.stereoRecordingUrl.endsWith(`/call/${call.id}/stereo-recording`));
    // The stored call has the same analysis.
    const rec = await L.getCall(call.id);
    assert.deepEqual(rec.analysis, report.analysis);

    // Every delivery is logged: GET /logs?type=Webhook&callId=
    const logs = await L.waitForLogs(`type=Webhook&callId=${call.id}&limit=100`, reqs.length);
    assert.equal(logs.json.metadata.totalItems, reqs.length);
    for (const l of logs.json.results) {
        assert.equal(l.type, "Webhook");
        assert.equal(l.callId, call.id);
        assert.equal(l.responseHttpCode, 200);
        assert.equal(typeof l.requestDurationSeconds, "number");
        assert.ok(ids.has(l.eventId));
    }
    const eocr = await L.api("GET", `/logs?callId=${call.id}&webhookType=end-of-call-report`);
    assert.equal(eocr.json.results.length, 1);
    const bad = await L.api("GET", "/logs?type=Nope");
    assert.equal(bad.status, 400);
});

test("legacy serverUrl + serverUrlSecret -> X-Vapi-Secret; the org's server URL is the fallback", async (t) => {
    const rx = await startReceiver();
    t.after(() => rx.close());
    const a = L.localAssistant({ firstMessage: "Hi.", serverUrl: `${rx.url}/legacy`, serverUrlSecret: "s3cret",
                                 serverMessages: ["status-update"] });
    const { call, client } = await L.startCall({ assistant: a });
    t.after(() => client.close());
    client.startContinuous();
    await rx.waitFor((reqs) => reqs.length >= 1, 10000);
    await L.control(call, { type: "end-call" });
    await rx.waitFor((reqs) => reqs.filter((r) => r.type === "status-update").length >= 2, 10000);
    for (const r of rx.requests) {
        assert.equal(r.path, "/legacy");
        assert.equal(r.headers["x-vapi-secret"], "s3cret");
    }
    // No server on the assistant: the org's server.url receives them.
    const org = await L.api("GET", "/org");
    assert.equal(org.status, 200, org.text);
    const orgId = (Array.isArray(org.json) ? org.json[0] : org.json).id;
    const patched = await L.api("PATCH", `/org/${orgId}`, { server: { url: `${rx.url}/org` } });
    assert.equal(patched.status, 200, patched.text);
    t.after(() => L.api("PATCH", `/org/${orgId}`, { server: null }));
    const { call: c2, client: cl2 } = await L.startCall({ assistant: L.localAssistant({ firstMessage: "Hi.", serverMessages: ["status-update"] }) });
    t.after(() => cl2.close());
    cl2.startContinuous();
    await cl2.waitForMessage({ type: "status-update", status: "in-progress" }, 8000);  // live
    assert.equal((await L.control(c2, { type: "end-call" })).status, 200);
    // (Other tests' calls may post to the org URL meanwhile; count this call's.)
    await rx.waitFor((reqs) => reqs.filter((r) => r.path === "/org" && r.json.message.call.id === c2.id).length >= 2,
                     10000, "org-level webhooks");
});
