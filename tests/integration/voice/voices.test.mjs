// The 11labs and cartesia voices against local fakes of their WebSocket APIs
// (fake-elevenlabs.mjs, fake-cartesia.mjs: the documented protocols, real flite speech),
// reached through VOXA_PROVIDER_URLS: what the caller hears (transcribed), what the provider
// sees (path, query, headers, messages, field by field), a barge-in, an idle socket the
// provider closes, and each way the provider can fail -> Vapi's endedReason. Phone calls with
// these voices: providers-e2e.test.mjs.
import assert from "node:assert/strict";
import { test } from "node:test";

import { startCartesiaFake } from "./fake-cartesia.mjs";
import { startElevenLabsFake } from "./fake-elevenlabs.mjs";
import * as L from "./lib.mjs";

const FIRST = "Hello, thanks for calling the garden center.";
const REPLY = "Your order of tulips will arrive on Friday.";
const LONG = "Welcome to the city library information line. Our opening hours are nine to five " +
             "from Monday to Friday. On Saturdays we open at ten and close at two in the afternoon. " +
             "You can renew your books online or by calling this number at any time.";


const VOICES = {
    "11labs": {
        start: (key) => startElevenLabsFake({ key }),
        env: "ELEVENLABS_API_KEY",
        voice: { provider: "11labs", voiceId: "21m00Tcm4TlvDq8ikWAM", model: "eleven_flash_v2_5", stability: 0.4,
                 similarityBoost: 0.8, style: 0.1, useSpeakerBoost: true, speed: 1.1, language: "en",
                 enableSsmlParsing: true },
    },
    cartesia: {
        start: (key) => startCartesiaFake({ key }),
        env: "CARTESIA_API_KEY",
        voice: { provider: "cartesia", voiceId: "a0e99841-438c-4a64-b679-ae501e7d6091", model: "sonic-2", language: "en",
                 experimentalControls: { speed: "fast", emotion: "positivity:high" } },
    },
};

function assistant(voice, extra = {}) {
    return {
        firstMessage: FIRST,
        transcriber: { provider: "local" },
        voice,
        model: { provider: "local", rules: [{ match: ["tulips", "order", "flowers"], reply: REPLY }], fallback: REPLY },
        ...extra,
    };
}

const { ownCall, ownEnded } = L;

const botStopped = (m) => m.type === "speech-update" && m.role === "assistant" && m.status === "stopped";

/** What the caller heard from `fromT` until the assistant's next speech-update stopped. */
async function heardUntilStopped(client, fromT, timeoutMs = 20000) {
    const stopped = await client.waitFor((c) => c.messages.find((e) => e.t > fromT && botStopped(e.msg)), timeoutMs,
                                         "the assistant to finish speaking");
    return L.transcribe(client.receivedPcm(fromT, stopped.t + 1), 16000);
}

for (const [name, V] of Object.entries(VOICES)) {
    test(`${name}: the first message and the reply are heard; the provider sees Vapi's fields on its protocol`, async (t) => {
        const fake = await V.start("right-key");
        t.after(() => fake.close());
        const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `${name}=${fake.url}`, [V.env]: "right-key" });
        const { call, client } = await ownCall(own, { assistant: assistant(V.voice) });
        t.after(() => client.close());
        client.startContinuous();
        // Opened while the call is set up.
        await client.waitFor(() => fake.accepted().length === 1, 5000, "the provider's socket to open");
        const sock = fake.accepted()[0];

        const first = await heardUntilStopped(client, 0);
        const fh = L.wordHits(first, ["thanks", "calling", "garden", "center"]);
        L.note(`${name}: first message heard as "${first}" -> ${fh.hits.length}/4`);
        assert.ok(fh.ratio >= 0.5, `first message heard as "${first}"`);

        const spoken = await client.streamPcm(await L.synth("I want to check on my order of tulips"));
        const reply = await heardUntilStopped(client, spoken.endedAt);
        const rh = L.wordHits(reply, ["order", "tulips", "arrive", "friday"]);
        L.note(`${name}: reply heard as "${reply}" -> ${rh.hits.length}/4`);
        assert.ok(rh.ratio >= 0.5, `reply heard as "${reply}"`);
        assert.equal(fake.accepted().length, 1, "one socket for the whole call");

        if (name === "11labs") {
            assert.equal(sock.path, "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/multi-stream-input");
            assert.equal(sock.headers["xi-api-key"], "right-key");
            const q = sock.query;
            for (const [k, v] of [["model_id", "eleven_flash_v2_5"], ["output_format", "pcm_16000"], ["language_code", "en"],
                                  ["enable_ssml_parsing", "true"], ["inactivity_timeout", "180"]])
                assert.equal(q.get(k), v, `query ${k}`);
            const ctxs = [...sock.contexts.values()];
            assert.ok(ctxs.length >= 2, "a context per utterance");
            for (const c of ctxs) {
                assert.equal(c.first.text, " ", "a context opens with a space");
                assert.deepEqual(c.first.voice_settings,
                                 { stability: 0.4, similarity_boost: 0.8, style: 0.1, use_speaker_boost: true, speed: 1.1 });
                const body = c.messages.filter((m) => m.text && m.text !== " ");
                assert.ok(body.length >= 1 && body.at(-1).flush === true, "text with flush at the end of the utterance");
                assert.ok(body.every((m) => m.text.endsWith(" ")), "each chunk ends with a space");
                assert.ok(c.messages.some((m) => m.close_context === true), "the context is closed after its text");
                assert.ok(c.final, "isFinal for each context");
            }
            assert.equal(ctxs[0].spoken.join(" "), FIRST);
            assert.ok(ctxs.some((c) => c.spoken.join(" ") === REPLY));
        } else {
            assert.equal(sock.path, "/tts/websocket");
            assert.equal(sock.headers["x-api-key"], "right-key");
            assert.match(sock.headers["cartesia-version"], /^\d{4}-\d{2}-\d{2}$/);
            const reqs = sock.received.filter((m) => m.transcript !== undefined);
            assert.ok(reqs.length >= 2, "a generation request per utterance");
            for (const r of reqs) {
                assert.equal(r.model_id, "sonic-2");
                assert.deepEqual(r.voice, { mode: "id", id: "a0e99841-438c-4a64-b679-ae501e7d6091",
                                            __experimental_controls: { speed: "fast", emotion: ["positivity:high"] } });
                assert.deepEqual(r.output_format, { container: "raw", encoding: "pcm_s16le", sample_rate: 16000 });
                assert.equal(r.language, "en");
                assert.equal(r.continue, false);
                assert.ok(r.context_id);
            }
            assert.equal(new Set(reqs.map((r) => r.context_id)).size, reqs.length, "a context per utterance");
            assert.ok([...sock.contexts.values()].every((c) => c.done), "every context done");
            assert.equal(reqs[0].transcript.trim(), FIRST);
        }

        client.endCall();
        const rec = await ownEnded(own, call.id);
        assert.ok(!rec.endedReason.startsWith("pipeline-error"), rec.endedReason);
        await client.waitFor(() => sock.closedBy !== null, 5000, "the provider's socket to close");
        if (name === "11labs") assert.equal(sock.closedBy, "close_socket", "close_socket at the end of the call");
        else assert.equal(sock.closedBy, "client");
        const voiceCost = (rec.costs || []).find((c) => c.type === "voice");
        assert.ok(voiceCost && voiceCost.characters > 0 && voiceCost.cost > 0, `voice cost ${JSON.stringify(voiceCost)}`);
        // Voxa's own latency from the provider's audio to the caller: the first message and
        // the reply, each timed from the read of its first audio (a few ms here, not seconds).
        const lat = await L.providerToWire(own.base, "voice", name);
        L.note(`${name}: provider-to-wire ${lat.count} utterances, mean ${(1000 * lat.sum / lat.count).toFixed(2)} ms`);
        assert.ok(lat.count >= 2, `voxa_provider_to_wire_seconds{kind="voice",provider="${name}"}: ${JSON.stringify(lat)}`);
        assert.ok(lat.sum / lat.count < 0.1, `mean ${lat.sum / lat.count} s`);
    });

    test(`${name}: a barge-in stops the reply at once and the provider is told`, async (t) => {
        const fake = await V.start("k");
        t.after(() => fake.close());
        const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `${name}=${fake.url}`, [V.env]: "k" });
        const { call, client } = await ownCall(own, {
            assistant: assistant(V.voice, { firstMessage: LONG, firstMessageInterruptionsEnabled: true,
                                            stopSpeakingPlan: { numWords: 0, voiceSeconds: 0.2, backoffSeconds: 1 },
                                            model: { provider: "local", rules: [{ reply: "Sure, go ahead." }] } }),
        });
        t.after(() => client.close());
        client.startContinuous();
        await client.waitFor((c) => c.audio.length > 0, 8000, "first audio");
        await L.sleep(1500);
        const speech = await L.synth("Excuse me, I have a question about my card");
        const talkFrom = L.now();
        const sent = client.streamPcm(speech);
        const interrupted = await client.waitForMessage({ type: "user-interrupted" }, 8000);
        await sent;
        // The audio stops (is held) with the caller's voice; the interruption follows the words.
        const stopAt = L.audioStopAfter(client, talkFrom, 200);
        assert.ok(stopAt, "audio was arriving when the caller talked");
        const sock = fake.accepted()[0];
        if (name === "11labs") {
            // No way to stop one context at once: the socket goes (close_socket) while the
            // long message is still streaming, and the next one is opened straight away.
            await client.waitFor(() => sock.closedBy !== null, 3000, "the socket to close");
            assert.equal(sock.closedBy, "close_socket");
            assert.ok(sock.closeSocketWhileStreaming.length >= 1, "it was streaming when told to stop");
            await client.waitFor(() => fake.accepted().length === 2, 3000, "a new socket for the next reply");
        } else {
            await client.waitFor(() => sock.received.some((m) => m.cancel === true), 3000, "a cancel");
            const cancels = sock.received.filter((m) => m.cancel === true);
            assert.ok(cancels.every((m) => sock.contexts.has(m.context_id)), "cancels name contexts it had");
            assert.ok(cancels.some((m) => sock.contexts.get(m.context_id).cancelledWhileStreaming), "one was still streaming");
        }
        // Nothing more of the long message: the next audio is the reply, after a real gap.
        await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === "Sure, go ahead.", 10000);
        const after = client.audio.filter((a) => a.t > stopAt);
        assert.ok(after.length > 0, "the reply was heard");
        assert.ok(after[0].t - stopAt >= 200, `a gap after the stop (${Math.round(after[0].t - stopAt)} ms)`);
        const started = await client.waitFor((c) => c.messages.find((e) => e.t > interrupted.t && e.msg.type === "speech-update" &&
                                                                        e.msg.role === "assistant" && e.msg.status === "started"),
                                             10000, "the reply to start");
        const reply = await heardUntilStopped(client, started.t - 100);
        L.note(`${name}: after the barge-in the caller heard "${reply}"`);
        assert.ok(!L.wordHits(reply, ["saturdays", "renew", "books"]).hits.length, `nothing of the long message: "${reply}"`);
        assert.ok(L.wordHits(reply, ["sure", "go", "ahead"]).ratio >= 1 / 3, `the reply: "${reply}"`);
        client.endCall();
        const rec = await ownEnded(own, call.id);
        assert.equal(rec.endedReason, "customer-ended-call");
    });

    test(`${name}: an idle socket the provider closes is opened again for the next reply, the call goes on`, async (t) => {
        const fake = await V.start("k");
        t.after(() => fake.close());
        const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `${name}=${fake.url}`, [V.env]: "k" });
        const { call, client } = await ownCall(own, { assistant: assistant(V.voice) });
        t.after(() => client.close());
        client.startContinuous();
        await heardUntilStopped(client, 0);
        fake.closeIdleSockets();
        await client.waitFor(() => fake.accepted()[0].closedBy === "idle-timeout", 3000, "the idle close");
        await L.sleep(300);
        const spoken = await client.streamPcm(await L.synth("I want to check on my order of tulips"));
        const reply = await heardUntilStopped(client, spoken.endedAt);
        L.note(`${name}: reply after an idle close heard as "${reply}"`);
        assert.ok(L.wordHits(reply, ["order", "tulips", "arrive", "friday"]).ratio >= 0.5, `reply heard as "${reply}"`);
        assert.equal(fake.accepted().length, 2, "a second socket");
        client.endCall();
        const rec = await ownEnded(own, call.id);
        assert.equal(rec.endedReason, "customer-ended-call");
    });
}

const FAILURES = {
    "11labs": [
        ["wrong-key", "pipeline-error-eleven-labs-invalid-api-key"],
        ["auth-message", "pipeline-error-eleven-labs-invalid-api-key"],
        ["refuse", "pipeline-error-eleven-labs-voice-failed"],
        ["close-mid-utterance", "pipeline-error-eleven-labs-voice-failed"],
        ["stall", "pipeline-error-eleven-labs-voice-failed"],
        ["garbage", "pipeline-error-eleven-labs-voice-failed"],
    ],
    cartesia: [
        ["wrong-key", "pipeline-error-cartesia-voice-failed"],
        ["payment", "pipeline-error-cartesia-requested-payment"],
        ["refuse", "pipeline-error-cartesia-voice-failed"],
        ["close-mid-utterance", "pipeline-error-cartesia-socket-hang-up"],
        ["stall", "pipeline-error-cartesia-voice-failed"],
        ["garbage", "pipeline-error-cartesia-voice-failed"],
    ],
};

for (const [name, cases] of Object.entries(FAILURES)) {
    for (const [mode, reason] of cases) {
        test(`${name} failing (${mode}) -> ${reason}`, async (t) => {
            const V = VOICES[name];
            const fake = await V.start("right");
            t.after(() => fake.close());
            if (mode !== "wrong-key" && mode !== "refuse") fake.misbehave(mode);
            // Refused: nothing listens at the address.
            const url = mode === "refuse" ? `http://127.0.0.1:${await L.freePort()}` : fake.url;
            const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `${name}=${url}`,
                                             [V.env]: mode === "wrong-key" ? "wrong" : "right" });
            const { call, client } = await ownCall(own, { assistant: assistant(V.voice) });
            t.after(() => client.close());
            client.startContinuous();
            const rec = await ownEnded(own, call.id, 20000);
            assert.equal(rec.endedReason, reason);
            assert.equal(fake.sockets.length, mode === "refuse" ? 0 : 1, "no second try on the same provider");
            if (mode === "close-mid-utterance")
                assert.ok(client.audio.length > 0, "some audio came before the socket went");
        });
    }
}
