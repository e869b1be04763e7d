// End to end at 16 kHz s16le: the caller speaks (flite), the local transcriber hears it, the
// custom-llm (a fake OpenAI server) answers, the local voice speaks, the caller hears it
// (pocketsphinx), and the call record has everything Vapi's has.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startOpenAIFake } from "../../fakes/openai-fake.mjs";
import * as L from "./lib.mjs";

const SYSTEM = "You are Robin, the booking assistant of a dental clinic. Keep answers short.";
const REPLY = "Sure, your appointment is booked for tomorrow at ten.";
const FIRST = "Hello, how can I help?";

test("16 kHz PCM: caller speech -> transcript -> custom-llm -> voice -> record", async (t) => {
    const fake = await startOpenAIFake({
        replies: [{ match: /appointment|book|tomorrow/i, reply: REPLY }],
        fallback: REPLY,  // the reply must not depend on how well the words were heard
        delayMs: 250,     // time to first token, to be seen in modelLatency
    });
    t.after(() => fake.close());
    const rate = 16000, format = "pcm_s16le";
    const { call, client } = await L.startCall({
        rate, format,
        assistant: L.localAssistant({
            firstMessage: FIRST,
            // kal16 renders the same audio every run, so what pocketsphinx hears is stable
            // (slt varies slightly and turns "appointment" into "employment" at times).
            voice: { provider: "local", voiceId: "kal16" },
            model: { provider: "custom-llm", url: fake.url, model: "dental-1",
                     messages: [{ role: "system", content: SYSTEM }] },
        }),
    });
    t.after(() => client.close());
    assert.equal(call.status, "queued");
    assert.equal(call.type, "vapi.websocketCall");
    const speech = await L.synth("I would like to book an appointment for tomorrow", { rate, format });

    client.startContinuous();
    // The first message is spoken first; the caller answers once it has finished.
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 10000);
    const firstAudio = client.receivedPcm();
    assert.ok(firstAudio.length > rate * 2 * 0.5, `first message audio is ${firstAudio.length} bytes`);
    const spoken = await client.streamPcm(speech);
    const userDone = spoken.endedAt;

    // The reply: transcribed by the server, answered, spoken.
    const finalUser = await client.waitForMessage(
        (m) => m.type === "transcript" && m.role === "user" && m.transcriptType === "final", 10000);
    const replyDone = await client.waitFor(
        (c) => c.messages.find((e) => e.t > userDone && e.msg.type === "speech-update" &&
                                      e.msg.role === "assistant" && e.msg.status === "stopped"),
        15000, "the reply to finish");
    const replyStart = client.messages.find((e) => e.t > userDone && e.msg.type === "speech-update" &&
                                                   e.msg.role === "assistant" && e.msg.status === "started");
    assert.ok(replyStart, "speech-update started for the reply");
    L.note(`e2e16k: reply audio starts ${Math.round(replyStart.t - userDone)} ms after the caller's last frame`);

    const heard = await L.transcribe(client.receivedPcm(userDone), rate);
    const expected = ["sure", "your", "appointment", "booked", "for", "tomorrow", "at", "ten"];
    const wh = L.wordHits(heard, expected);
    L.note(`e2e16k: assistant reply heard as "${heard}" -> ${wh.hits.length}/${expected.length} words (missing ${wh.missing.join(",")})`);
    assert.ok(wh.hits.includes("appointment") && wh.hits.includes("tomorrow") && wh.hits.length >= 5,
              `pocketsphinx heard "${heard}" in the reply`);
    assert.ok(wh.ratio >= 0.5, `at least half of the reply's words were heard: "${heard}"`);
    const m = L.envelopeMatch(client.receivedPcm(userDone), rate, await L.synth(REPLY, { rate, voice: "kal16" }), rate);
    assert.ok(m.correlation > 0.8 && Math.abs(m.durationRatio - 1) < 0.15,
              `the reply audio matches flite saying it: ${JSON.stringify(m)}`);
    L.note(`e2e16k: caller heard by the server as "${finalUser.msg.transcript}"`);

    // What the model got.
    // Requests asked ahead on a partial (docs/turn-taking.md) may come first, cancelled when
    // the final differed; the one answered is the last.
    assert.ok(fake.requests.length >= 1, "a completion request");
    const req = fake.requests.at(-1);
    assert.equal(req.path, "/v1/chat/completions");
    assert.equal(req.body.stream, true);
    assert.equal(req.body.model, "dental-1");
    assert.deepEqual(req.body.messages[0], { role: "system", content: SYSTEM });
    const lastUser = req.body.messages.filter((m) => m.role === "user").at(-1);
    assert.ok(lastUser, "the request has the user's words");
    assert.match(lastUser.content, /appointment|tomorrow/i, `the model got "${lastUser.content}"`);
    assert.equal(lastUser.content, finalUser.msg.transcript);

    // Client messages along the way.
    const types = new Set(client.messages.map((m) => m.msg.type));
    for (const type of ["status-update", "speech-update", "transcript", "conversation-update", "model-output"])
        assert.ok(types.has(type), `received a ${type} message`);
    assert.equal(client.ofType("status-update")[0].status, "in-progress");
    const modelOut = client.ofType("model-output").map((m) => m.output).join("");
    assert.equal(modelOut.trim(), REPLY);
    const botFinals = client.ofType("transcript").filter((m) => m.role === "assistant" && m.transcriptType === "final");
    assert.deepEqual(botFinals.map((m) => m.transcript), [FIRST, REPLY]);
    assert.ok(replyDone);

    // End from the client.
    client.endCall();
    const closeInfo = await client.closedPromise;
    const ended = client.ofType("status-update").find((m) => m.status === "ended");
    assert.ok(ended, "status-update ended before the socket closed");
    assert.equal(ended.endedReason, "customer-ended-call");
    assert.equal(closeInfo.code, 1000);

    const rec = await L.waitForEnded(call.id);
    assert.equal(rec.status, "ended");
    assert.equal(rec.endedReason, "customer-ended-call");
    assert.ok(Date.parse(rec.startedAt) > 0 && Date.parse(rec.endedAt) >= Date.parse(rec.startedAt));
    const seconds = (Date.parse(rec.endedAt) - Date.parse(rec.startedAt)) / 1000;
    assert.ok(seconds > 4 && seconds < 30, `call lasted ${seconds} s`);

    // messages[]: system, bot (first message), user, bot (reply), in order, timed.
    const roles = rec.messages.map((m) => m.role);
    assert.deepEqual(roles, ["system", "bot", "user", "bot"]);
    assert.equal(rec.messages[0].message, SYSTEM);
    assert.equal(rec.messages[1].message, FIRST);
    assert.equal(rec.messages[2].message, finalUser.msg.transcript);
    assert.equal(rec.messages[3].message, REPLY);
    let prev = -1;
    for (const m of rec.messages) {
        assert.equal(typeof m.secondsFromStart, "number", `${m.role} has secondsFromStart`);
        assert.equal(typeof m.time, "number");
        assert.ok(m.secondsFromStart >= prev, "messages are in time order");
        prev = m.secondsFromStart;
    }
    for (const m of rec.messages.slice(1)) {
        assert.equal(typeof m.endTime, "number", `${m.role} has endTime`);
        assert.ok(m.duration > 0, `${m.role} has a duration`);
    }

    // The artifact.
    const a = rec.artifact;
    assert.equal(a.transcript, `AI: ${FIRST}\nUser: ${finalUser.msg.transcript}\nAI: ${REPLY}\n`);
    assert.deepEqual(a.messagesOpenAIFormatted, [
        { role: "system", content: SYSTEM },
        { role: "assistant", content: FIRST },  // the opening line is in the model's context
        { role: "user", content: finalUser.msg.transcript },
        { role: "assistant", content: REPLY },
    ]);
    const lat = a.performanceMetrics.turnLatencies;
    assert.ok(lat.length >= 1, "at least one turn latency");
    for (const k of ["transcriberLatency", "endpointingLatency", "modelLatency", "voiceLatency", "turnLatency"])
        assert.equal(typeof lat[0][k], "number", `turnLatencies[0].${k}`);
    assert.ok(lat[0].turnLatency > 0 && lat[0].turnLatency < 5000, `turnLatency ${lat[0].turnLatency}`);
    assert.ok(lat[0].modelLatency >= 200 && lat[0].modelLatency < 1500,
              `modelLatency ${lat[0].modelLatency} ms for a model that takes 250 ms to the first token`);
    assert.ok(lat[0].turnLatency >= lat[0].modelLatency, "the turn includes the model's time");
    L.note(`e2e16k: turnLatencies[0] = ${JSON.stringify(lat[0])}`);

    // Cost.
    assert.equal(typeof rec.cost, "number");
    assert.equal(typeof rec.costBreakdown, "object");
    assert.equal(typeof rec.costBreakdown.total, "number");
    const promptWords = req.body.messages.reduce((n, m) => n + m.content.split(/\s+/).filter(Boolean).length, 0);
    assert.equal(rec.costBreakdown.llmPromptTokens, promptWords, "prompt tokens from the usage chunk");
    assert.equal(rec.costBreakdown.llmCompletionTokens, REPLY.split(/\s+/).length);
    assert.equal(rec.costBreakdown.ttsCharacters, FIRST.length + REPLY.length);
    assert.ok(Array.isArray(rec.costs) && rec.costs.length > 0);
    const costTypes = rec.costs.map((c) => c.type);
    for (const type of ["transport", "transcriber", "model", "voice"]) assert.ok(costTypes.includes(type), `costs has ${type}`);
    const model = rec.costs.find((c) => c.type === "model");
    assert.equal(model.completionTokens, rec.costBreakdown.llmCompletionTokens);

    // Recordings: stereo (customer left, assistant right) and mono, both WAV.
    assert.ok(a.stereoRecordingUrl && a.recordingUrl);
    const stereo = await L.download(a.stereoRecordingUrl);
    assert.equal(stereo.status, 200);
    assert.equal(stereo.wav.channels, 2);
    assert.equal(stereo.wav.bitsPerSample, 16);
    const mono = await L.download(a.recordingUrl);
    assert.equal(mono.status, 200);
    assert.equal(mono.wav.channels, 1);
    const stereoSec = stereo.wav.dataBytes / (stereo.wav.sampleRate * 4);
    assert.ok(Math.abs(stereoSec - seconds) < 1.5, `stereo recording ${stereoSec} s for a ${seconds} s call`);
    // Left = customer, right = assistant. Loudness per 20 ms on each channel: the assistant
    // spoke first (first message), the caller after it, and the two never overlap here.
    const { dataOffset, sampleRate } = stereo.wav;
    const frame = sampleRate / 50;
    const loud = [[], []];
    for (let f = 0; dataOffset + (f + 1) * frame * 4 <= stereo.bytes.length; f++)
        for (const ch of [0, 1]) {
            let sum = 0;
            for (let i = 0; i < frame; i++) {
                const v = stereo.bytes.readInt16LE(dataOffset + (f * frame + i) * 4 + ch * 2);
                sum += v * v;
            }
            if (Math.sqrt(sum / frame) > 300) loud[ch].push(f);
        }
    const [left, right] = loud;
    assert.ok(right.length > 100, `assistant audio on the right channel (${right.length * 20} ms)`);
    assert.ok(left.length > 50, `caller audio on the left channel (${left.length * 20} ms)`);
    assert.ok(right[0] < left[0], "the first message (right) comes before the caller (left)");
    const rightSet = new Set(right);
    const overlap = left.filter((f) => rightSet.has(f)).length;
    const runs = (fs) => fs.reduce((r, f) => (r.length && f - r.at(-1)[1] <= 10 ? (r.at(-1)[1] = f, r) : [...r, [f, f]]), [])
        .map(([a, b]) => `${(a * 0.02).toFixed(2)}-${(b * 0.02).toFixed(2)}s`).join(" ");
    assert.ok(overlap < left.length * 0.15,
              `channels overlap in ${overlap} of ${left.length} caller frames; caller ${runs(left)}; ` +
              `assistant ${runs(right)}; messages ${JSON.stringify(rec.messages.map((m) => [m.role, m.secondsFromStart, m.duration]))}`);
    const noKey = await L.download(a.stereoRecordingUrl, { token: null });
    assert.equal(noKey.status, 401, "the recording needs the private key");
});
