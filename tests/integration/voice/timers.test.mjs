// The call's own endings: silenceTimeoutSeconds, maxDurationSeconds, endCallPhrases.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startOpenAIFake } from "../../fakes/openai-fake.mjs";
import * as L from "./lib.mjs";

const seconds = (rec) => (Date.parse(rec.endedAt) - Date.parse(rec.startedAt)) / 1000;

describe("call timers and end-call phrases", { concurrency: true }, () => {

    test("silenceTimeoutSeconds: 10 with no caller audio -> silence-timed-out in ~10 s", async (t) => {
        const { call, client } = await L.startCall({
            assistant: L.localAssistant({ firstMessage: "Hi.", silenceTimeoutSeconds: 10 }),
        });
        t.after(() => client.close());
        // No audio at all from the caller. The clock starts after "Hi." (~0.5 s) has played.
        const closed = await Promise.race([client.closedPromise, L.sleep(16000).then(() => null)]);
        assert.ok(closed, "the server ended the call within 16 s");
        const ended = client.ofType("status-update").find((m) => m.status === "ended");
        assert.equal(ended?.endedReason, "silence-timed-out");
        const rec = await L.waitForEnded(call.id);
        assert.equal(rec.endedReason, "silence-timed-out");
        L.note(`silence timeout: ended after ${seconds(rec)} s`);
        assert.deepEqual(L.byRole(rec, "bot").map((m) => m.message), ["Hi."]);
        // Silence is counted from the end of the assistant's "Hi." (which a slow build, e.g.
        // ASan, may start late), not from the start of the call.
        const botEnd = L.byRole(rec, "bot")[0].endTime;
        const silent = (Date.parse(rec.endedAt) - botEnd) / 1000;
        assert.ok(silent >= 9.8 && silent < 11.5, `ended ${silent} s after the assistant stopped`);
    });

    test("maxDurationSeconds: 10 while the caller streams silence -> exceeded-max-duration", async (t) => {
        const { call, client } = await L.startCall({
            assistant: L.localAssistant({ firstMessage: "Hi.", maxDurationSeconds: 10 }),
        });
        t.after(() => client.close());
        client.startContinuous();  // a live microphone; silenceTimeoutSeconds stays at 30
        const closed = await Promise.race([client.closedPromise, L.sleep(15000).then(() => null)]);
        assert.ok(closed, "the server ended the call within 15 s");
        const rec = await L.waitForEnded(call.id);
        assert.equal(rec.endedReason, "exceeded-max-duration");
        L.note(`max duration: ended after ${seconds(rec)} s`);
        assert.ok(seconds(rec) >= 9.8 && seconds(rec) < 11.5, `ended after ${seconds(rec)} s`);
        // The caller's ~10 s of streamed silence is in the recording.
        const stereo = await L.download(rec.artifact.stereoRecordingUrl);
        const sec = stereo.wav.dataBytes / (stereo.wav.sampleRate * 4);
        assert.ok(sec > 9 && sec < 11.5, `recording ${sec} s`);
    });

    test("endCallPhrases: the model says goodbye -> assistant-said-end-call-phrase after it is played", async (t) => {
        const fake = await startOpenAIFake({ fallback: "Okay, goodbye then." });
        t.after(() => fake.close());
        const { call, client } = await L.startCall({
            assistant: L.localAssistant({
                firstMessage: "Hi.",
                endCallPhrases: ["goodbye"],
                model: { provider: "custom-llm", url: fake.url, model: "x" },
            }),
        });
        t.after(() => client.close());
        client.startContinuous();
        await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" });
        const asked = L.now();
        client.send({ type: "add-message", message: { role: "user", content: "That is all, thank you." } });
        await Promise.race([client.closedPromise, L.sleep(10000)]);
        assert.ok(client.closed, "the call ended");
        const ended = client.messages.find((e) => e.msg.type === "status-update" && e.msg.status === "ended");
        assert.equal(ended.msg.endedReason, "assistant-said-end-call-phrase");
        // "Okay, goodbye then." was played in full before the end (~1.2 s of audio).
        const replyMs = client.receivedMs(asked);
        assert.ok(replyMs > 800, `${replyMs} ms of the goodbye played`);
        assert.ok(ended.t >= client.lastAudioAt(), "ended after the last audio frame");
        const rec = await L.waitForEnded(call.id);
        assert.equal(rec.endedReason, "assistant-said-end-call-phrase");
        assert.deepEqual(L.byRole(rec, "bot").map((m) => m.message), ["Hi.", "Okay, goodbye then."]);
        assert.ok(rec.artifact.transcript.endsWith("AI: Okay, goodbye then.\n"));
        // One conversational turn (the post-call analysis asks the same model afterwards).
        assert.equal(fake.requests[0].body.messages.at(-1).content, "That is all, thank you.");
        assert.equal(fake.requests.filter((r) => r.body.messages.at(-1).content === "That is all, thank you.").length, 1);
    });
});
