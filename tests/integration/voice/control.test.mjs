// The live-call control URL (call.monitor.controlUrl): POST a client message over HTTP.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";

const SAY = "This message came from the control URL.";

test("POST /<callId>/<secret>/control: say speaks the text, end-call ends the call", async (t) => {
    const rate = 16000, format = "pcm_s16le";
    const { call, client } = await L.startCall({ rate, format, assistant: L.localAssistant({ firstMessage: "Hi." }) });
    t.after(() => client.close());
    // The URL carries the call's own secret: /<callId>/<secret>/control.
    const m = /^(.*)\/([0-9a-f-]{36})\/([A-Za-z0-9_-]{32})\/control$/.exec(call.monitor.controlUrl);
    assert.ok(m, call.monitor.controlUrl);
    assert.deepEqual([m[1], m[2]], [L.BASE_URL, call.id]);
    client.startContinuous();
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 8000);

    const before = L.now();
    const r = await L.control(call, { type: "say", content: SAY });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { success: true });
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === SAY, 10000);
    const heard = await L.transcribe(client.receivedPcm(before), rate);
    const wh = L.wordHits(heard, ["this", "message", "came", "from", "the", "control"]);
    L.note(`control: say heard as "${heard}" (${wh.hits.length}/6)`);
    assert.ok(wh.ratio >= 0.5, `pocketsphinx heard "${heard}"`);

    // Errors are HTTP 400 with the same text the socket would send; unknown calls 404.
    const bad = await L.control(call, { type: "dance" });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /dance/);
    const missing = await L.control({ monitor: { controlUrl: call.monitor.controlUrl.replace(call.id, "00000000-0000-4000-8000-000000000000") } },
                                    { type: "end-call" });
    assert.equal(missing.status, 404);
    // Without the secret the call is as unknown as that one.
    const bare = await L.control({ monitor: { controlUrl: `${L.BASE_URL}/${call.id}/control` } }, { type: "end-call" });
    assert.equal(bare.status, 404);
    assert.deepEqual(bare.json, missing.json);

    const end = await L.control(call, { type: "end-call" });
    assert.equal(end.status, 200);
    const info = await Promise.race([client.closedPromise, L.sleep(5000).then(() => null)]);
    assert.ok(info, "the socket was closed by the server");
    assert.equal(client.ofType("status-update").at(-1).endedReason, "customer-ended-call");
    const rec = await L.waitForEnded(call.id);
    assert.equal(rec.endedReason, "customer-ended-call");
    assert.deepEqual(L.byRole(rec, "bot").map((m) => m.message), ["Hi.", SAY]);
    // A call that has ended is no longer controllable.
    const after = await L.control(call, { type: "say", content: "too late" });
    assert.equal(after.status, 404);
});
