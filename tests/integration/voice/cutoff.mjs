// What a caller hears around barge-ins and whether the record keeps the conversation in
// order, for any transport: the tests feed an ordered log of what the transport received
// ({kind: "audio", pcm} or {kind: "cut"}: Twilio's "clear", the websocket's
// "user-interrupted") and a function that makes the caller talk.
import assert from "node:assert/strict";
import * as L from "./lib.mjs";

export const LONG_GREETING = "Welcome to the city library information line. Our opening hours are nine to five " +
    "from Monday to Friday. On Saturdays we open at ten and close at two in the afternoon.";
export const LONG_REPLY = "Of course. Let me tell you everything about our branches, our opening hours, " +
    "the reading rooms on the second floor and the children's corner next to the entrance.";

/** An assistant that talks long and can always be interrupted (each reply is long too). */
export function talkativeAssistant(extra = {}) {
    return L.localAssistant({
        firstMessage: LONG_GREETING,
        firstMessageInterruptionsEnabled: true,
        stopSpeakingPlan: { numWords: 0, voiceSeconds: 0.2, backoffSeconds: 0.5 },
        model: { provider: "local", rules: [{ reply: LONG_REPLY }] },
        ...extra,
    });
}

const voiced = (pcm) => L.rms(pcm) > 300;

/**
 * Interrupts the assistant `times` times: each time it has been talking for ~0.6 s, `talk()`
 * makes the caller speak; waits for the transport's cut. Returns the RMS of the first audio
 * frame after each cut (the start of the next reply: silence, unless the interrupted
 * utterance leaks into it).
 */
export async function bargeInLoop(log, talk, times, what) {
    const cutsSoFar = () => log.filter((e) => e.kind === "cut").length;
    for (let k = 0; k < times; k++) {
        // The assistant is talking again: 0.6 s of voiced audio since the last cut.
        const since = () => {
            let i = log.length - 1;
            while (i >= 0 && log[i].kind !== "cut") i--;
            return log.slice(i + 1).filter((e) => e.kind === "audio" && voiced(e.pcm)).length;
        };
        await waitUntil(() => since() >= 30, 15000, `${what}: assistant audio before barge-in ${k + 1}`);
        await talk();
        await waitUntil(() => cutsSoFar() > k, 8000, `${what}: the cut of barge-in ${k + 1}`);
    }
    // The last cut is followed by the next reply too.
    await waitUntil(() => log.at(-1).kind === "audio" && log.findLastIndex((e) => e.kind === "cut") < log.length - 1,
                    10000, `${what}: a reply after the last barge-in`);
    const firsts = [];
    for (let i = 0; i < log.length; i++) {
        if (log[i].kind !== "cut") continue;
        const next = log.slice(i + 1).find((e) => e.kind === "audio" || e.kind === "cut");
        if (next?.kind === "audio") firsts.push(Math.round(L.rms(next.pcm)));
    }
    return firsts;
}

export function waitUntil(pred, timeoutMs, what) {
    return new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const iv = setInterval(() => {
            if (pred()) { clearInterval(iv); resolve(); }
            else if (Date.now() > deadline) { clearInterval(iv); reject(new Error(`timed out waiting for ${what}`)); }
        }, 10);
    });
}

/** The first frame of every reply after a cut is as quiet as any reply start. */
export function assertQuietStarts(firsts, what) {
    L.note(`${what}: first-frame RMS after each of ${firsts.length} cuts: ${firsts.join(" ")}`);
    const loud = firsts.filter((r) => r > 100);
    assert.deepEqual(loud, [], `${what}: ${loud.length} of ${firsts.length} replies open with audio of the interrupted ` +
                               `utterance (first-frame RMS ${firsts.join(", ")})`);
}

/**
 * The record of a call where the caller spoke during the greeting and got `reply`: the
 * greeting, the caller's line and the reply, in time order, one bot message each.
 */
export function assertInOrder(rec, greeting, reply) {
    for (const [where, list] of [["messages", rec.messages], ["artifact.messages", rec.artifact.messages]]) {
        const said = list.filter((m) => m.role === "bot" || m.role === "user");
        assert.deepEqual(said.map((m) => m.role), ["bot", "user", "bot"],
                         `${where}: ${JSON.stringify(said.map((m) => [m.role, m.message, m.secondsFromStart]))}`);
        assert.equal(said[0].message, greeting, `${where}: the greeting is a message of its own`);
        assert.equal(said[2].message, reply, `${where}: the reply is a message of its own`);
        for (let i = 1; i < list.length; i++)
            assert.ok(list[i].secondsFromStart >= list[i - 1].secondsFromStart,
                      `${where} out of time order at ${i}: ${JSON.stringify(list.map((m) => [m.role, m.secondsFromStart]))}`);
        // The greeting lasts as long as it played (~8 s of flite), not until the reply ended.
        assert.ok(said[0].duration > 4000 && said[0].duration < 15000, `greeting duration ${said[0].duration} ms`);
        assert.ok(said[1].secondsFromStart > said[0].secondsFromStart && said[1].secondsFromStart < said[0].secondsFromStart + said[0].duration / 1000,
                  "the caller spoke during the greeting");
        assert.ok(said[2].secondsFromStart >= said[0].secondsFromStart + said[0].duration / 1000 - 0.1, "the reply came after the greeting");
    }
    assert.ok(rec.artifact.transcript.startsWith(`AI: ${greeting}\nUser: `), rec.artifact.transcript);
    assert.ok(rec.artifact.transcript.trimEnd().endsWith(`AI: ${reply}`), rec.artifact.transcript);
}
