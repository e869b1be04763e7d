// Finding 8 of #20: a control message can reach a call before it has started. attach()
// publishes the session (monitor.controlUrl answers for it) just before start() runs on the
// call's loop; an add-message or an interrupting say in that window found no pipeline. They
// now wait and are applied, in order, once the call has started. The window is narrow, so
// tests/unit/call/session_start_test.cpp drives the same order deterministically; here many
// calls are joined while control messages are fired at them in a tight loop.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createCall, getCall, join, sleep, voxa } from "./lib.mjs";

const post = (url, body) =>
    fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then((r) => r.status, () => 0);

const assistant = {
    transcriber: { provider: "bench" },
    model: { provider: "bench", reply: "Sure." },
    voice: { provider: "bench", msPerWord: 50 },
    firstMessage: "Hi.",
};

test("control messages racing the call's start: the server survives and every accepted message takes effect", async (t) => {
    const v = await voxa(t);
    const ROUNDS = 25;
    for (let round = 0; round < ROUNDS; round++) {
        const call = await createCall(v, assistant);
        const url = call.monitor.controlUrl;
        // Fire until the call answers 200 (live), from before the join until after it.
        const accepted = [];
        let stop = false;
        const firing = (async () => {
            let k = 0;
            while (!stop && accepted.length < 6) {
                const content = `race-${round}-${k++}`;
                const status = await post(url, k % 2
                    ? { type: "add-message", message: { role: "system", content }, triggerResponseEnabled: false }
                    : { type: "say", content, interruptAssistantEnabled: true });
                if (status === 200) accepted.push({ content, say: !(k % 2) });
                else assert.equal(status, 404, `control answered ${status}`);
            }
        })();
        const peer = await join(call);
        await Promise.race([firing, sleep(5000)]);
        stop = true;
        await firing;
        assert.ok(accepted.length > 0, `round ${round}: no control message was accepted`);
        // Every accepted add-message is in the conversation, in order.
        const added = accepted.filter((a) => !a.say).map((a) => a.content);
        await peer.waitFor((m) => m.type === "conversation-update" &&
                                  added.every((c) => m.messages.some((x) => x.message === c)), 5000,
                           `round ${round}: ${added.join(", ")} in the conversation`);
        const last = peer.messages.filter((m) => m.type === "conversation-update").pop();
        const order = last.messages.map((x) => x.message).filter((c) => added.includes(c));
        assert.deepEqual(order, added, "in the order they were sent");
        peer.close();
    }
    assert.equal((await fetch(`${v.base}/health`)).status, 200, "the server is alive");
});
