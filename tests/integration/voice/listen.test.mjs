// call.monitor.listenUrl: a WebSocket that streams the call's audio live, 16 kHz s16le
// stereo (customer left, assistant right), and closes when the call ends.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";

function channel(stereo, ch) {
    const n = stereo.length / 4;
    const out = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) out.writeInt16LE(stereo.readInt16LE(i * 4 + ch * 2), i * 2);
    return out;
}

test("listenUrl: both sides of the call, live, as 16 kHz stereo; closed at the end", async (t) => {
    // The assistant waits for the caller, then the local model greets back:
    // "Hello! How can I help you today?"
    const { call, client } = await L.startCall({ assistant: L.localAssistant({ firstMessageMode: "assistant-waits-for-user" }) });
    t.after(() => client.close());
    const wsBase = L.BASE_URL.replace(/^http/, "ws");
    const m = /^(.*)\/([0-9a-f-]{36})\/([A-Za-z0-9_-]{32})\/listen$/.exec(call.monitor.listenUrl);
    assert.ok(m, call.monitor.listenUrl);
    assert.deepEqual([m[1], m[2]], [wsBase, call.id]);
    // listenUrl and controlUrl share the call's secret.
    assert.equal(call.monitor.controlUrl, `${L.BASE_URL}/${call.id}/${m[3]}/control`);

    const ws = new WebSocket(call.monitor.listenUrl);
    ws.binaryType = "arraybuffer";
    const frames = [];
    const texts = [];
    ws.addEventListener("message", (ev) => {
        if (typeof ev.data === "string") texts.push(JSON.parse(ev.data));
        else frames.push({ t: L.now(), bytes: Buffer.from(ev.data) });
    });
    const closed = new Promise((r) => ws.addEventListener("close", (ev) => r(ev.code)));
    await new Promise((resolve, reject) => {
        ws.addEventListener("open", resolve, { once: true });
        ws.addEventListener("error", () => reject(new Error("listen socket refused")), { once: true });
    });

    // The caller speaks; the assistant answers with its first message.
    client.startContinuous();
    await L.sleep(300);
    const speech = await L.synth("hello there how are you");
    await client.streamPcm(speech);
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 15000);
    await L.sleep(200);

    assert.equal(texts[0]?.type, "listen-started");
    assert.equal(texts[0].sampleRate, 16000);
    assert.equal(texts[0].channels, 2);
    assert.ok(frames.length > 50, `${frames.length} frames`);
    for (const f of frames) assert.equal(f.bytes.length, 1280, "20 ms of 16 kHz stereo s16");
    const all = Buffer.concat(frames.map((f) => f.bytes));
    const customer = channel(all, 0);
    const assistant = channel(all, 1);
    assert.ok(L.rms(customer) > 200, `customer channel rms ${L.rms(customer)}`);
    const heard = await L.transcribe(assistant, 16000);
    const wh = L.wordHits(heard, ["hello", "how", "can", "help", "you", "today"]);
    L.note(`listen: ${frames.length} frames; assistant channel heard as "${heard}"; customer rms ${L.rms(customer).toFixed(0)}`);
    assert.ok(wh.ratio >= 0.6, `assistant channel heard "${heard}"`);
    const heardCustomer = await L.transcribe(customer, 16000);
    assert.ok(L.wordHits(heardCustomer, ["hello", "there", "how", "are", "you"]).ratio >= 0.2, `customer channel heard "${heardCustomer}"`);

    await L.control(call, { type: "end-call" });
    const code = await Promise.race([closed, L.sleep(5000).then(() => "open")]);
    assert.equal(code, 1000, "the listen socket closes with the call");
    // A call that is over cannot be listened to.
    const late = new WebSocket(call.monitor.listenUrl);
    const refused = await new Promise((r) => {
        late.addEventListener("open", () => r(false));
        late.addEventListener("error", () => r(true));
    });
    assert.ok(refused);
});

test("monitorPlan: listen and control need a private key of the call's org when enabled", async (t) => {
    const { call, client } = await L.startCall({
        assistant: L.localAssistant({ firstMessage: "Hi.",
                                      monitorPlan: { listenAuthenticationEnabled: true, controlAuthenticationEnabled: true } }) });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitForMessage({ type: "status-update", status: "in-progress" }, 8000);  // live
    const refused = await new Promise((r) => {
        const ws = new WebSocket(call.monitor.listenUrl);
        ws.addEventListener("open", () => { ws.close(); r(false); });
        ws.addEventListener("error", () => r(true));
    });
    assert.ok(refused, "listen without a key is refused");
    const post = (headers) => fetch(call.monitor.controlUrl, {
        method: "POST", headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify({ type: "say", content: "Checked." }) });
    assert.equal((await post({})).status, 401);
    assert.equal((await post({ Authorization: "Bearer 00000000-0000-4000-8000-000000000000" })).status, 401);
    const ok = await post({ Authorization: `Bearer ${L.KEY}` });
    assert.equal(ok.status, 200);
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === "Checked.", 10000);
    await L.control(call, { type: "end-call" }).catch(() => {});
    await fetch(call.monitor.controlUrl, { method: "POST", headers: { Authorization: `Bearer ${L.KEY}`, "Content-Type": "application/json" },
                                          body: JSON.stringify({ type: "end-call" }) });
    await client.closedPromise;
});
