// How calls start and end: first-message modes, templating, client end-call and hang-up.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startOpenAIFake } from "../../fakes/openai-fake.mjs";
import * as L from "./lib.mjs";

describe("call lifecycle", { concurrency: 3 }, () => {
    test("client end-call -> customer-ended-call", async (t) => {
        const { call, client } = await L.startCall({ assistant: L.localAssistant({ firstMessage: "Hi there." }) });
        t.after(() => client.close());
        client.startContinuous();
        await client.waitForMessage({ type: "status-update", status: "in-progress" }, 5000);
        await client.waitFor((c) => c.audio.length > 0, 5000, "audio");
        client.endCall();
        const info = await client.closedPromise;
        assert.equal(info.code, 1000);
        assert.equal(client.ofType("status-update").at(-1).endedReason, "customer-ended-call");
        const rec = await L.waitForEnded(call.id, 5000);
        assert.equal(rec.endedReason, "customer-ended-call");
        assert.ok(rec.startedAt && rec.endedAt);
    });

    test("a caller who hangs up while the end of their turn is still open: the record keeps their words", async (t) => {
        // The turn waits 3 s after these words (no punctuation from pocketsphinx, smart
        // endpointing off): the caller hangs up as soon as the final transcript arrives.
        const speech = await L.synth("i would like to book an appointment for tuesday morning");
        const { call, client } = await L.startCall({ assistant: L.localAssistant({
            firstMessage: "Hi.",
            startSpeakingPlan: { smartEndpointingEnabled: false, waitSeconds: 3,
                                 transcriptionEndpointingPlan: { onPunctuationSeconds: 3, onNoPunctuationSeconds: 3, onNumberSeconds: 3 } },
        }) });
        t.after(() => client.close());
        client.startContinuous();
        await client.waitForMessage({ type: "status-update", status: "in-progress" }, 5000);
        await client.waitFor((c) => c.audio.length > 0, 5000, "the greeting");
        await L.sleep(1500);
        client.streamPcm(speech);
        const { msg: final } = await client.waitForMessage((m) => m.type === "transcript" && m.role === "user" &&
            m.transcriptType === "final" && m.transcript.split(" ").length >= 3, 15000).catch((e) => {
            L.note(`lifecycle: ${JSON.stringify(client.ofType("transcript").map((m) => [m.role, m.transcriptType, m.transcript]))}`);
            throw e;
        });
        client.endCall();
        assert.equal(client.ofType("model-output").length, 0, "the turn was still open at the hang-up");
        await client.closedPromise;
        const rec = await L.waitForEnded(call.id, 5000);
        assert.equal(rec.endedReason, "customer-ended-call");
        const said = L.byRole(rec, "user");
        assert.equal(said.length, 1, JSON.stringify(rec.messages));
        assert.equal(said[0].message, final.transcript);
        assert.ok(said[0].secondsFromStart > 1, "when it was said");
        assert.ok(rec.artifact.transcript.includes(`User: ${final.transcript}`), rec.artifact.transcript);
    });

    test("client disconnect -> customer-ended-call, record ended within a few seconds", async (t) => {
        const { call, client } = await L.startCall({ assistant: L.localAssistant({ firstMessage: "Hi there, how are you today?" }) });
        client.startContinuous();
        await client.waitFor((c) => c.audio.length > 50, 5000, "1 s of audio");
        const closedAt = Date.now();
        await client.close();
        const rec = await L.waitForEnded(call.id, 5000);
        L.note(`disconnect: record ended ${Date.now() - closedAt} ms after the socket closed`);
        assert.equal(rec.endedReason, "customer-ended-call");
        assert.ok(Date.parse(rec.endedAt) - closedAt < 3000, "endedAt is when the socket closed");
        // The assistant was cut off mid-sentence by the hang-up: what was played is kept.
        const bots = L.byRole(rec, "bot");
        assert.equal(bots.length, 1);
        assert.ok("Hi there, how are you today?".startsWith(bots[0].message));
    });

    test("firstMessageMode assistant-speaks-first: audio before any caller audio", async (t) => {
        const { call, client } = await L.startCall({
            assistant: L.localAssistant({ firstMessage: "Good morning.", firstMessageMode: "assistant-speaks-first" }),
        });
        t.after(() => client.close());
        // Under load (calls starting together) the first audio can take a second or two: the
        // local transcriber's decoders are created on the same compute pool as the voice.
        await client.waitFor((c) => c.audio.length > 0, 8000, "audio with no caller audio sent");
        L.note(`speaks-first: first audio ${Math.round(client.audio[0].t - client.openedAt)} ms after connect`);
        assert.equal(client.sentFrames, 0);
        await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === "Good morning.", 5000);
        client.endCall();
        await client.closedPromise;
        const rec = await L.waitForEnded(call.id);
        assert.deepEqual(L.byRole(rec, "bot").map((m) => m.message), ["Good morning."]);
    });

    test("firstMessageMode assistant-waits-for-user: silent until the caller speaks", async (t) => {
        const { call, client } = await L.startCall({
            assistant: L.localAssistant({
                firstMessage: "Good morning.", firstMessageMode: "assistant-waits-for-user",
                model: { provider: "local", rules: [{ reply: "Yes?" }] },
            }),
        });
        t.after(() => client.close());
        client.startContinuous();
        await L.sleep(2000);
        assert.equal(client.audio.length, 0, "no assistant audio in the first 2 s");
        assert.equal(client.ofType("transcript").length, 0);
        // The caller speaks first; then the assistant answers (not with the first message).
        client.send({ type: "add-message", message: { role: "user", content: "Hello?" } });
        await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant", 5000);
        client.endCall();
        await client.closedPromise;
        const rec = await L.waitForEnded(call.id);
        assert.deepEqual(L.byRole(rec, "bot").map((m) => m.message), ["Yes?"]);
    });

    test("firstMessageMode assistant-speaks-first-with-model-generated-message: the model opens", async (t) => {
        const fake = await startOpenAIFake({ greeting: "Hi, this is the model speaking.", fallback: "Okay." });
        t.after(() => fake.close());
        const { call, client } = await L.startCall({
            assistant: L.localAssistant({
                firstMessage: "This static first message is not used.",
                firstMessageMode: "assistant-speaks-first-with-model-generated-message",
                model: { provider: "custom-llm", url: fake.url, model: "x",
                         messages: [{ role: "system", content: "Greet the caller." }] },
            }),
        });
        t.after(() => client.close());
        await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant", 8000);
        assert.equal(client.sentFrames, 0, "no caller audio was sent");
        assert.equal(fake.requests.length, 1, "the model was called before any caller speech");
        assert.deepEqual(fake.requests[0].body.messages, [{ role: "system", content: "Greet the caller." }]);
        assert.equal(client.ofType("transcript").find((m) => m.role === "assistant").transcript,
                     "Hi, this is the model speaking.");
        assert.ok(client.receivedMs() > 1000);
        client.endCall();
        await client.closedPromise;
        const rec = await L.waitForEnded(call.id);
        assert.deepEqual(L.byRole(rec, "bot").map((m) => m.message), ["Hi, this is the model speaking."]);
        assert.deepEqual(rec.artifact.messagesOpenAIFormatted.map((m) => m.role), ["system", "assistant"]);
    });

    test("templating: {{name}} from assistantOverrides.variableValues and built-ins like {{call.id}}", async (t) => {
        const { call, client } = await L.startCall({
            assistant: L.localAssistant({
                firstMessage: "Hello {{name}}",
                model: { provider: "local", rules: [],
                         messages: [{ role: "system", content: "Call {{call.id}} for {{ name }}; unknown [{{nope}}]." }] },
            }),
            assistantOverrides: { variableValues: { name: "Ada" } },
        });
        t.after(() => client.close());
        const said = await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant", 5000);
        assert.equal(said.msg.transcript, "Hello Ada");
        client.endCall();
        await client.closedPromise;
        const rec = await L.waitForEnded(call.id);
        assert.equal(L.byRole(rec, "bot")[0].message, "Hello Ada");
        assert.equal(L.byRole(rec, "system")[0].message, `Call ${call.id} for Ada; unknown [].`);
        assert.ok(rec.artifact.transcript.startsWith("AI: Hello Ada\n"));
    });
});
