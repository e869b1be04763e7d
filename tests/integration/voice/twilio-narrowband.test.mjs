// A phone caller is understood: over a Twilio Media Stream (8 kHz mu-law) the embedded
// recognizer, with its narrowband compensation (providers/local/narrowband.h), hears a
// phone-quality sentence and the offline scripted model's rule fires on it. Before the
// compensation pocketsphinx's wideband model heard next to nothing in such audio.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";
import { AUTH_TOKEN, TwilioStream, streamFromTwiml, voiceWebhook } from "./twilio-lib.mjs";

const SAID = "i would like to book an appointment for next week";
const REPLY = "Sure, what day suits you best?";

test("Twilio Media Stream: an 8 kHz caller's sentence is transcribed and fires the scripted rule", async (t) => {
    const assistant = await L.api("POST", "/assistant", L.localAssistant({
        name: "narrowband",
        firstMessage: "Hello.",
        model: { provider: "local", rules: [{ all: ["book", "appointment"], reply: REPLY }], fallback: "Pardon?" },
    }));
    assert.equal(assistant.status, 201, assistant.text);
    t.after(() => L.api("DELETE", `/assistant/${assistant.json.id}`));
    const number = "+1555" + String(Date.now()).slice(-7);
    const pn = await L.api("POST", "/phone-number", { provider: "twilio", number, twilioAccountSid: "AC" + "1".repeat(32),
                                                      twilioAuthToken: AUTH_TOKEN, assistantId: assistant.json.id });
    assert.equal(pn.status, 201, pn.text);
    t.after(() => L.api("DELETE", `/phone-number/${pn.json.id}`));

    const hook = await voiceWebhook(number);
    assert.equal(hook.status, 200, hook.twiml);
    const { url, token } = streamFromTwiml(hook.twiml);
    const callId = /\/([0-9a-f-]{36})\/twilio$/.exec(url)[1];
    const stream = new TwilioStream(url, token, hook.form.CallSid);
    await stream.open();
    t.after(() => stream.stop());

    // Let the first message play out, then speak (voice rms, 8 kHz mu-law as Twilio carries it).
    for (let i = 0; i < 50 && stream.voicedMs() < 300; i++) await L.sleep(100);
    await L.sleep(1500);
    stream.say(await L.synth(SAID, { rate: 8000, format: "mulaw", voice: "rms" }));
    // The reply is spoken once the rule fires: wait for it (or give up after 15 s), then hang up.
    const before = stream.voicedMs();
    for (let i = 0; i < 150 && stream.voicedMs() - before < 1500; i++) await L.sleep(100);
    await L.sleep(1500);
    stream.stop();
    const rec = await L.waitForEnded(callId);
    assert.equal(rec.phoneCallProvider, "twilio");
    const heard = (rec.messages ?? []).filter((m) => m.role === "user").map((m) => m.message);
    L.note(`twilio narrowband: heard ${JSON.stringify(heard)}`);
    assert.ok(heard.length >= 1, "the caller was transcribed");
    assert.ok(rec.messages.some((m) => m.role === "bot" && m.message === REPLY),
              `the rule fired; the server heard ${JSON.stringify(heard)}`);
    // Word errors in what was heard: at most one of the ten words missing.
    const words = heard.join(" ").toLowerCase().split(/\s+/).filter(Boolean);
    const missing = SAID.split(" ").filter((w) => !words.includes(w));
    assert.ok(missing.length <= 1, `missing words ${JSON.stringify(missing)} in ${JSON.stringify(heard)}`);
});
