// End to end with cloud providers, as a Vapi user's assistant has them: {transcriber, openai
// model, voice} all reached through --provider-url (VOXA_PROVIDER_URLS) at local fakes of the
// documented protocols, every key an org credential. For each pair, over the websocket
// transport and over a Twilio Media Stream: the caller hears the first message and the reply
// (the fake voice speaks what it is sent with flite), the model gets what the transcriber
// heard, a barge-in in the middle of a long reply makes the fake voice see the cancel, and the
// call record says who served it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { startOpenAIFake } from "../../fakes/openai-fake.mjs";
import { startAssemblyAIFake } from "./fake-assemblyai.mjs";
import { startCartesiaFake } from "./fake-cartesia.mjs";
import { startDeepgramFake } from "./fake-deepgram.mjs";
import { startElevenLabsFake } from "./fake-elevenlabs.mjs";
import * as L from "./lib.mjs";
import { AUTH_TOKEN, TwilioStream, streamFromTwiml, voiceWebhook } from "./twilio-lib.mjs";

const FIRST = "Hello, thanks for calling the garden center.";
const ASK = "I want to check on my order of tulips";
const REPLY = "Your order of tulips will arrive on Friday.";
const ASK_LONG = "What are your opening hours";
const LONG = "We are open from nine to five from Monday to Friday. On Saturdays we open at ten and close " +
             "at two in the afternoon, and on Sundays the whole garden center is closed for the day.";
// Long enough (~2.5 s) that talking on takes the floor (TurnStage::kConfirmVoicedMs) even
// when a slow recognizer's words come late: the hold is confirmed, and the voice provider
// told, while the long reply is still being synthesized.
const BARGE = "Excuse me, I have one more question about my order of tulips";
const AFTER = "Sure, go ahead.";

// Transcribers: a fake, the Vapi config, and how to tell it heard the call.
const STT = {
    deepgram: {
        // No interim recognitions: one pocketsphinx run per utterance keeps the final quick.
        start: (key) => startDeepgramFake({ key, interimEveryMs: 600000 }),
        transcriber: { provider: "deepgram", model: "nova-2", smartFormat: true },
        streams: (f) => f.accepted(),
    },
    "assembly-ai": {
        start: (key) => startAssemblyAIFake({ key, partialEveryMs: 600000 }),
        transcriber: { provider: "assembly-ai", formatTurns: true, endOfTurnConfidenceThreshold: 0.7 },
        streams: (f) => f.accepted(),
    },
};

// Voices: a fake, the Vapi config, and the cancel the fake saw on a barge-in.
const TTS = {
    "11labs": {
        start: (key) => startElevenLabsFake({ key }),
        voice: { provider: "11labs", voiceId: "21m00Tcm4TlvDq8ikWAM", model: "eleven_turbo_v2_5" },
        // One context cannot be stopped at once: the socket goes while it streams.
        cancelled: (f) => f.accepted().some((s) => s.closedBy === "close_socket" && s.closeSocketWhileStreaming?.length),
    },
    cartesia: {
        start: (key) => startCartesiaFake({ key }),
        voice: { provider: "cartesia", voiceId: "a0e99841-438c-4a64-b679-ae501e7d6091", model: "sonic-2" },
        cancelled: (f) => f.accepted().some((s) => [...s.contexts.values()].some((c) => c.cancelledWhileStreaming)),
    },
};

const PAIRS = [["deepgram", "11labs"], ["assembly-ai", "cartesia"]];

/** The caller's side of a websocket call (16 kHz PCM). */
async function websocketCaller(t, own, assistantId) {
    const { call, client } = await L.ownCall(own, { assistantId });
    t.after(() => client.close());
    client.startContinuous();
    return {
        callId: call.id, rate: 16000,
        say: async (text) => (await client.streamPcm(await L.synth(text))).endedAt,
        pcm: (from = 0, until = Infinity) => client.receivedPcm(from, until),
        voiced: () => client.audio.filter((a) => L.rms(a.bytes) > 300).map((a) => a.t),
        end: () => client.endCall(),
    };
}

/** The caller's side of a Twilio phone call to a number of the assistant (8 kHz mu-law). */
async function twilioCaller(t, own, assistantId) {
    const number = "+1555" + String(Date.now()).slice(-7);
    const pn = await own.api("POST", "/phone-number", { provider: "twilio", number, twilioAccountSid: "AC" + "2".repeat(32),
                                                        twilioAuthToken: AUTH_TOKEN, assistantId });
    assert.equal(pn.status, 201, JSON.stringify(pn.json));
    const hook = await voiceWebhook(number, { base: own.base });
    assert.equal(hook.status, 200, hook.twiml);
    const { url, token } = streamFromTwiml(hook.twiml);
    const stream = new TwilioStream(url, token, hook.form.CallSid);
    await stream.open();
    t.after(() => stream.stop());
    const calls = (await own.api("GET", "/call")).json;
    return {
        callId: calls[0].id, rate: 8000,
        say: async (text) => {
            const ulaw = await L.synth(text, { rate: 8000, format: "mulaw" });
            const at = L.now() + stream.queue.length * 20;
            stream.say(ulaw);
            await L.sleep(at - L.now() + (ulaw.length / 8));
            return L.now();
        },
        pcm: (from = 0, until = Infinity) =>
            Buffer.concat(stream.received.filter((r) => r.t >= from && r.t < until).map((r) => L.decodeMulaw(r.bytes))),
        voiced: () => stream.received.filter((r) => L.rms(L.decodeMulaw(r.bytes)) > 300).map((r) => r.t),
        end: () => stream.stop(),
    };
}

async function waitFor(pred, ms, what) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await pred();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await L.sleep(50);
    }
}

/** Waits until the caller has heard speech after `from` and then `quietMs` of silence;
 *  returns that speech, from its first voiced frame to its last. */
async function heardAfter(caller, from, what, quietMs = 900) {
    await waitFor(() => caller.voiced().filter((t) => t > from).length >= 25, 20000, `${what} to start`);
    await waitFor(() => L.now() - caller.voiced().at(-1) > quietMs, 20000, `${what} to end`);
    const voiced = caller.voiced().filter((t) => t > from);
    return caller.pcm(voiced[0] - 1, voiced.at(-1) + 1);
}

/** Is `pcm` (at the caller's rate) that text? 16 kHz: the words; 8 kHz phone audio, which
 *  pocketsphinx's 16 kHz model hears poorly: the envelope against flite saying it. */
async function assertSaid(caller, pcm, text, words, label) {
    if (caller.rate === 16000) {
        const heard = await L.transcribe(pcm, 16000);
        const wh = L.wordHits(heard, words);
        L.note(`${label}: heard "${heard}" -> ${wh.hits.length}/${words.length}`);
        assert.ok(wh.ratio >= 0.5, `${label}: heard "${heard}"`);
    } else {
        const m = L.envelopeMatch(pcm, 8000, await L.synth(text, { rate: 16000 }), 16000);
        L.note(`${label}: envelope correlation with flite's ${m.correlation.toFixed(3)}`);
        assert.ok(m.correlation > 0.75, `${label}: sounds like "${text}" (${m.correlation})`);
    }
}

for (const [sttName, ttsName] of PAIRS) {
    for (const transport of ["websocket", "twilio"]) {
        test(`{${sttName}, openai, ${ttsName}} over ${transport}: heard, answered, barged in on, recorded`, async (t) => {
            const S = STT[sttName], V = TTS[ttsName];
            const stt = await S.start("stt-org-key");
            t.after(() => stt.close());
            const tts = await V.start("tts-org-key");
            t.after(() => tts.close());
            // Answers by turn, not by words: 8 kHz phone audio is heard poorly by the fakes'
            // recognizer (pocketsphinx), and what is tested here is the plumbing.
            const turn = (n) => (text, body) => body.messages.filter((m) => m.role === "user").length === n;
            const llm = await startOpenAIFake({
                replies: [{ match: turn(1), reply: REPLY }, { match: turn(2), reply: LONG }],
                fallback: AFTER,
            });
            t.after(() => llm.close());
            const own = await L.ownVoxa(t, { VOXA_PROVIDER_URLS: `${sttName}=${stt.url},${ttsName}=${tts.url},openai=${llm.url}` });
            for (const [provider, apiKey] of [[sttName, "stt-org-key"], [ttsName, "tts-org-key"], ["openai", "llm-org-key"]]) {
                const c = await own.api("POST", "/credential", { provider, apiKey });
                assert.equal(c.status, 201, JSON.stringify(c.json));
            }
            const a = await own.api("POST", "/assistant", {
                name: "garden center", firstMessage: FIRST,
                transcriber: S.transcriber, voice: V.voice,
                model: { provider: "openai", model: "gpt-4o-mini",
                         messages: [{ role: "system", content: "You answer for a garden center." }] },
                stopSpeakingPlan: { numWords: 0, voiceSeconds: 0.2, backoffSeconds: 1 },
            });
            assert.equal(a.status, 201, JSON.stringify(a.json));

            const caller = await (transport === "twilio" ? twilioCaller : websocketCaller)(t, own, a.json.id);
            const label = `${sttName}+${ttsName}/${transport}`;
            await assertSaid(caller, await heardAfter(caller, 0, "the first message"), FIRST,
                             ["thanks", "calling", "garden", "center"], `${label} first message`);

            const asked = await caller.say(ASK);
            await assertSaid(caller, await heardAfter(caller, asked, "the reply"), REPLY,
                             ["order", "tulips", "arrive", "friday"], `${label} reply`);
            // Requests asked ahead on a partial (docs/turn-taking.md) may come first; the
            // answered one is the last.
            assert.ok(llm.requests.length >= 1, "a model request");
            const req = llm.requests.at(-1);
            assert.equal(req.headers.authorization, "Bearer llm-org-key", "the org's openai credential");
            assert.equal(req.body.model, "gpt-4o-mini");
            const userSaid = req.body.messages.filter((m) => m.role === "user").at(-1).content;
            L.note(`${label}: ${sttName} heard "${userSaid}"`);
            if (caller.rate === 16000) assert.match(userSaid, /tulip|order/i, `the model got what ${sttName} heard: "${userSaid}"`);
            else assert.ok(userSaid.trim().length > 0, "the model got what the transcriber heard");

            // A long reply, talked over 1.5 s into it: the voice provider is told at once.
            const askedLong = await caller.say(ASK_LONG);
            await waitFor(() => caller.voiced().filter((t) => t > askedLong).length >= 75, 20000, "1.5 s of the long reply");
            assert.ok(!V.cancelled(tts), "nothing cancelled before the barge-in");
            const beforeBarge = llm.requests.length;
            const barged = await caller.say(BARGE);
            await waitFor(() => V.cancelled(tts), 5000, `${ttsName} to see the cancel`);
            await waitFor(() => llm.requests.length > beforeBarge, 15000, "the model to answer the barge-in");
            // A request may be one asked ahead on a partial: the turn is over when its answer plays.
            await waitFor(() => caller.voiced().filter((t) => t > barged).length >= 25, 20000, "the answer to the barge-in");

            caller.end();
            const rec = await L.ownEnded(own, caller.callId, 20000);
            assert.equal(rec.status, "ended");
            const users = rec.artifact.messages.filter((m) => m.role === "user");
            assert.ok(users.length >= 3, `three caller turns in the record (${users.length})`);
            assert.equal(users[0].message, userSaid, "the record has what the model got");
            const bots = rec.artifact.messages.filter((m) => m.role === "bot").map((m) => m.message);
            assert.deepEqual(bots.slice(0, 2), [FIRST, REPLY]);
            const items = Object.fromEntries(rec.costs.map((c) => [c.type, c]));
            assert.equal(items.transcriber.transcriber.provider, sttName);
            assert.equal(items.voice.voice.provider, ttsName);
            assert.equal(items.model.model.provider, "openai");
            assert.equal(S.streams(stt).length, 1, `one ${sttName} stream for the whole call`);
        });
    }
}
