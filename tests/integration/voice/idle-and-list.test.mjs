// messagePlan.idleMessages and GET /call with Vapi's filters.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";

test("messagePlan.idleMessages: spoken after idleTimeoutSeconds of silence, then the call goes on", async (t) => {
    const { call, client } = await L.startCall({
        assistant: L.localAssistant({
            firstMessage: "Hi.",
            messagePlan: { idleMessages: ["Are you still there?"], idleTimeoutSeconds: 5, idleMessageMaxSpokenCount: 1 },
        }),
    });
    t.after(() => client.close());
    client.startContinuous();  // a live microphone that stays silent
    await client.waitForMessage(
        (m) => m.type === "transcript" && m.role === "assistant" && m.transcript === "Are you still there?", 14000);
    // From the end of "Hi." to the start of the idle message: idleTimeoutSeconds, plus the
    // time to synthesize the first words (longer in a sanitizer build).
    const speech = client.messages.filter((e) => e.msg.type === "speech-update" && e.msg.role === "assistant");
    assert.deepEqual(speech.map((e) => e.msg.status).slice(0, 3), ["started", "stopped", "started"]);
    const gap = (speech[2].t - speech[1].t) / 1000;
    L.note(`idle message starts ${gap.toFixed(2)} s after the first message ended`);
    assert.ok(gap >= 4.8 && gap < 7.5, `idle message ${gap} s after the first message ended`);
    const rec0 = await L.getCall(call.id);
    assert.equal(rec0.status, "in-progress");
    client.endCall();
    const rec = await L.waitForEnded(call.id);
    assert.deepEqual(L.byRole(rec, "bot").map((m) => m.message), ["Hi.", "Are you still there?"]);
});

test("GET /call filters by assistantId and id, newest first, and respects limit", async () => {
    const a = await L.api("POST", "/assistant", L.localAssistant({ name: "list-filter" }));
    assert.equal(a.status, 201);
    const ids = [];
    for (let i = 0; i < 3; i++) {
        const c = await L.createCall({ assistant: undefined, assistantId: a.json.id });
        ids.push(c.id);
        await L.sleep(5);
    }
    const other = await L.createCall({ assistant: L.localAssistant() });
    const byAssistant = await L.api("GET", `/call?assistantId=${a.json.id}`);
    assert.equal(byAssistant.status, 200);
    assert.deepEqual(byAssistant.json.map((c) => c.id), [...ids].reverse());
    assert.ok(!byAssistant.json.some((c) => c.id === other.id));
    const one = await L.api("GET", `/call?id=${ids[1]}`);
    assert.deepEqual(one.json.map((c) => c.id), [ids[1]]);
    const limited = await L.api("GET", `/call?assistantId=${a.json.id}&limit=2`);
    assert.equal(limited.json.length, 2);
    const bad = await L.api("GET", `/call?colour=blue`);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.message, ["property colour should not exist"]);
});

test("DELETE /call/{id} on a live call hangs it up and removes the record", async (t) => {
    const { call, client } = await L.startCall({ assistant: L.localAssistant({ firstMessage: "Hi." }) });
    t.after(() => client.close());
    await client.waitForMessage((m) => m.type === "status-update" && m.status === "in-progress", 8000);
    const del = await L.api("DELETE", `/call/${call.id}`);
    assert.equal(del.status, 200);
    assert.equal(del.json.id, call.id);
    const ended = await client.waitForMessage((m) => m.type === "status-update" && m.status === "ended", 5000);
    assert.equal(ended.msg.endedReason, "call-deleted");
    await client.closedPromise;
    const after = await L.api("GET", `/call/${call.id}`);
    assert.equal(after.status, 404);
});
