// End to end at 8 kHz μ-law (telephone audio): the same conversation as the 16 kHz test.
// pocketsphinx's 16 kHz model recognises next to nothing in 8 kHz audio (even clean 8 kHz
// flite speech made by sox comes out as "hmm are upon"), so what the caller received is
// checked acoustically instead: decoded from μ-law, its loudness envelope must match flite
// saying the same sentence (same voice as the server's local one), at the same duration
// (a wrong rate or encoding fails both). What pocketsphinx made of it is only logged.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startOpenAIFake } from "../../fakes/openai-fake.mjs";
import * as L from "./lib.mjs";

const REPLY = "Sure, your appointment is booked for tomorrow at ten.";
const FIRST = "Hello, how can I help?";

test("8 kHz mu-law: caller speech -> custom-llm -> voice, audio in mu-law both ways", async (t) => {
    const fake = await startOpenAIFake({ fallback: REPLY });
    t.after(() => fake.close());
    const rate = 8000, format = "mulaw";
    const { call, client } = await L.startCall({
        rate, format,
        assistant: L.localAssistant({
            firstMessage: FIRST,
            model: { provider: "custom-llm", url: fake.url, model: "x",
                     messages: [{ role: "system", content: "You book appointments." }] },
        }),
    });
    t.after(() => client.close());
    assert.deepEqual(call.transport.audioFormat, { format: "mulaw", container: "raw", sampleRate: 8000 });
    const speech = await L.synth("I would like to book an appointment for tomorrow", { rate, format });

    client.startContinuous();
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 10000);
    const firstMs = client.receivedMs();
    // 1 byte per sample at 8 kHz: "Hello, how can I help?" is well over a second of audio.
    assert.ok(firstMs > 800 && firstMs < 5000, `first message is ${firstMs} ms of 8 kHz mu-law`);
    const firstPcm = client.receivedPcm();
    const firstHeard = await L.transcribe(firstPcm, rate);
    const { endedAt: userDone } = await client.streamPcm(speech);

    await client.waitFor(
        (c) => c.messages.find((e) => e.t > userDone && e.msg.type === "speech-update" &&
                                      e.msg.role === "assistant" && e.msg.status === "stopped"),
        15000, "the reply to finish");
    const replyPcm = client.receivedPcm(userDone);
    const replyMs = (replyPcm.length / 2 / rate) * 1000;
    assert.ok(replyMs > 1500, `reply is ${replyMs} ms`);
    // μ-law decodes to real speech, not noise or silence: loud, and with quiet gaps.
    assert.ok(L.rms(replyPcm) > 500, `reply RMS ${L.rms(replyPcm)}`);
    const heard = await L.transcribe(replyPcm, rate);
    L.note(`mulaw8k: pocketsphinx (16 kHz model) heard the first message as "${firstHeard}", the reply as "${heard}"`);
    const ref = await L.synth(REPLY, { rate: 16000 });
    const m = L.envelopeMatch(replyPcm, rate, ref, 16000);
    L.note(`mulaw8k: reply vs flite reference: envelope correlation ${m.correlation.toFixed(3)}, ` +
           `duration ratio ${m.durationRatio.toFixed(3)}`);
    assert.ok(m.correlation > 0.8, `the reply sounds like "${REPLY}" (envelope correlation ${m.correlation})`);
    assert.ok(m.durationRatio > 0.85 && m.durationRatio < 1.15, `reply duration ratio ${m.durationRatio}`);
    const firstRef = await L.synth(FIRST, { rate: 16000 });
    const mf = L.envelopeMatch(firstPcm, rate, firstRef, 16000);
    assert.ok(mf.correlation > 0.8, `the first message sounds like "${FIRST}" (${mf.correlation})`);

    const finalUser = client.ofType("transcript").find((m) => m.role === "user" && m.transcriptType === "final");
    assert.ok(finalUser && finalUser.transcript.length > 0, "the server transcribed the 8 kHz caller");
    L.note(`mulaw8k: caller heard by the server as "${finalUser.transcript}"`);
    // Requests asked ahead on a partial (docs/turn-taking.md) may come first; the answered
    // one is the last.
    assert.ok(fake.requests.length >= 1);
    assert.equal(fake.requests.at(-1).body.stream, true);
    assert.equal(fake.requests.at(-1).body.messages.at(-1).content, finalUser.transcript);

    client.endCall();
    await client.closedPromise;
    const rec = await L.waitForEnded(call.id);
    assert.equal(rec.endedReason, "customer-ended-call");
    assert.deepEqual(rec.messages.map((m) => m.role), ["system", "bot", "user", "bot"]);
    assert.equal(rec.messages[3].message, REPLY);
    assert.equal(rec.artifact.transcript, `AI: ${FIRST}\nUser: ${finalUser.transcript}\nAI: ${REPLY}\n`);
    assert.ok(rec.artifact.performanceMetrics.turnLatencies.length >= 1);
    const stereo = await L.download(rec.artifact.stereoRecordingUrl);
    assert.equal(stereo.status, 200);
    assert.equal(stereo.wav.channels, 2);
    const mono = await L.download(rec.artifact.recordingUrl);
    assert.equal(mono.wav.channels, 1);
});
