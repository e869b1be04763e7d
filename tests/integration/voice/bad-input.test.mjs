// What a misbehaving client gets: errors as {"type":"error"} messages, never a broken call;
// and who may connect: the right token, once.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";

test("bad input on the socket -> error messages; the call goes on and ends with a full record", async (t) => {
    const rate = 16000, format = "pcm_s16le";
    const call = await L.createCall({
        rate, format,
        assistant: L.localAssistant({ firstMessage: "Hello.", model: { provider: "local", rules: [{ reply: "Noted." }] } }),
    });
    const client = await L.CallClient.connect(call);
    t.after(() => client.close());
    // Binary right after connect (before in-progress) is fine.
    client.sendRaw(Buffer.alloc(640));
    client.sendRaw(Buffer.alloc(641));  // odd byte counts: the odd byte waits for the next frame
    client.sendRaw(Buffer.alloc(639));
    client.sendRaw(Buffer.alloc(1));
    client.sendRaw(Buffer.alloc(1));
    await client.waitForMessage({ type: "status-update", status: "in-progress" }, 5000);
    await L.sleep(300);
    assert.deepEqual(client.errors(), [], "aligned and odd-sized audio frames are accepted");

    const expectError = async (what, send, pattern) => {
        const before = client.errors().length;
        send();
        const e = await client.waitFor((c) => c.errors().length > before && c.errors()[before], 3000, `an error for ${what}`);
        assert.equal(typeof e.error, "string");
        assert.match(e.error, pattern, `${what}: ${e.error}`);
        assert.deepEqual(Object.keys(e).sort(), ["error", "type"]);
        return e;
    };
    await expectError("a 100 KB binary frame", () => client.sendRaw(Buffer.alloc(100 * 1024)), /102400|bytes/);
    await expectError("invalid JSON", () => client.send("{not json"), /JSON/i);
    await expectError("a JSON array", () => client.send("[1,2,3]"), /object/i);
    await expectError("a message without type", () => client.send({ content: "hi" }), /type/);
    await expectError("an unknown message type", () => client.send({ type: "dance" }), /dance/);
    await expectError("say without content", () => client.send({ type: "say" }), /content/);
    await expectError("add-message with a bad role", () => client.send({ type: "add-message", message: { role: "robot", content: "x" } }), /role/);
    await expectError("an unknown control", () => client.send({ type: "control", control: "explode" }), /explode/);

    // Still alive: audio in, and the assistant still speaks and answers.
    client.startContinuous();
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 8000);
    client.send({ type: "say", content: "Still here." });
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === "Still here.", 8000);
    client.send({ type: "add-message", message: { role: "user", content: "Are you there?" } });
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === "Noted.", 8000);
    assert.equal(client.closed, false);
    const live = await L.getCall(call.id);
    assert.equal(live.status, "in-progress");

    client.endCall();
    await client.closedPromise;
    const rec = await L.waitForEnded(call.id);
    assert.equal(rec.endedReason, "customer-ended-call");
    assert.deepEqual(rec.messages.map((m) => m.role), ["bot", "bot", "user", "bot"]);
    assert.deepEqual(rec.messages.map((m) => m.message), ["Hello.", "Still here.", "Are you there?", "Noted."]);
    assert.equal(rec.artifact.transcript, "AI: Hello.\nAI: Still here.\nUser: Are you there?\nAI: Noted.\n");
    const stereo = await L.download(rec.artifact.stereoRecordingUrl);
    assert.equal(stereo.status, 200);
    assert.equal(stereo.wav.channels, 2);
});

test("who may connect: a wrong token is refused, the right one once; a second connection is refused", async (t) => {
    const call = await L.createCall({ assistant: L.localAssistant({ firstMessage: "Hi." }) });
    const url = new URL(call.transport.websocketCallUrl);
    const wrong = new URL(url);
    wrong.searchParams.set("token", "not-the-token");
    await assert.rejects(L.CallClient.connect(call, { url: wrong.href }), /refused/, "wrong token");
    const none = new URL(url);
    none.search = "";
    await assert.rejects(L.CallClient.connect(call, { url: none.href }), /refused/, "no token");
    // The failed attempts did not use up the call.
    const first = await L.CallClient.connect(call);
    t.after(() => first.close());
    await first.waitForMessage({ type: "status-update", status: "in-progress" }, 5000);
    // A second connection, even with the right token, is refused (before or right after the upgrade).
    let second;
    try {
        second = await L.CallClient.connect(call);
    } catch (e) {
        assert.match(e.message, /refused/);
    }
    if (second) {
        const info = await Promise.race([second.closedPromise, L.sleep(3000).then(() => null)]);
        assert.ok(info && info.code !== 1000, "a second connection is closed with an error code");
        assert.equal(second.audio.length, 0);
    }
    // The first connection is unaffected.
    await first.waitFor((c) => c.audio.length > 0, 5000, "audio on the first connection");
    first.endCall();
    await first.closedPromise;
    const rec = await L.waitForEnded(call.id);
    assert.equal(rec.endedReason, "customer-ended-call");
    // And after the end the URL stays refused.
    await assert.rejects(L.CallClient.connect(call), /refused/);
});
