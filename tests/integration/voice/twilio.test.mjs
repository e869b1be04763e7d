// Inbound phone calls over Twilio: the voice webhook (POST /twilio/inbound_call, signed
// with X-Twilio-Signature), assistant-request to the number's server URL choosing the
// assistant, TwiML <Connect><Stream>, and the bidirectional Media Stream (8 kHz mu-law in
// base64 JSON frames, "clear" on barge-in). Twilio's side is played by this test.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";
import { startReceiver } from "./receiver.mjs";
import * as C from "./cutoff.mjs";
import { AUTH_TOKEN, TwilioStream, streamFromTwiml, voiceWebhook } from "./twilio-lib.mjs";

test("inbound Twilio call: assistant-request picks the assistant; the Media Stream carries the conversation", async (t) => {
    const FIRST = "Thanks for calling Acme, this is the automated assistant speaking, how may I help you today?";
    const rx = await startReceiver((req) => {
        if (req.type === "assistant-request")
            return { json: { assistant: L.localAssistant({ firstMessage: FIRST, name: "Acme line", firstMessageInterruptionsEnabled: true,
                                                            serverMessages: ["status-update", "end-of-call-report", "user-interrupted"] }) } };
        return { status: 200, json: {} };
    });
    t.after(() => rx.close());
    const number = "+1555" + String(Date.now()).slice(-7);
    const pn = await L.api("POST", "/phone-number", { provider: "twilio", number, twilioAccountSid: "AC" + "1".repeat(32),
                                                      twilioAuthToken: AUTH_TOKEN, server: { url: `${rx.url}/phone` } });
    assert.equal(pn.status, 201, pn.text);
    t.after(() => L.api("DELETE", `/phone-number/${pn.json.id}`));

    const hook = await voiceWebhook(number);
    assert.equal(hook.status, 200, hook.twiml);
    assert.match(hook.type, /xml/);
    const { url, token } = streamFromTwiml(hook.twiml);
    assert.ok(url && token, hook.twiml);
    const callId = /\/([0-9a-f-]{36})\/twilio$/.exec(url)[1];

    // The assistant-request: Vapi's shape, the phone number without its auth token.
    const ar = rx.ofType("assistant-request")[0];
    assert.equal(ar.path, "/phone");
    const m = ar.json.message;
    assert.equal(m.call.id, callId);
    assert.equal(m.call.type, "inboundPhoneCall");
    assert.equal(m.phoneNumber.number, number);
    assert.equal(m.phoneNumber.twilioAuthToken, undefined);
    assert.equal(m.customer.number, "+15557654321");

    const stream = new TwilioStream(url, token, hook.form.CallSid);
    await stream.open();
    t.after(() => stream.stop());
    // The first message plays; the caller talks over it -> Twilio is told to "clear".
    for (let i = 0; i < 80 && stream.voicedMs() <= 1000; i++) await L.sleep(100);
    assert.ok(stream.voicedMs() > 1000, `${stream.voicedMs()} ms of assistant audio`);
    assert.ok(stream.received.every((r) => r.sid === stream.streamSid && r.bytes.length === 160), "20 ms mu-law frames on our streamSid");
    const speech = await L.synth("wait a moment please I have a question", { rate: 8000, format: "mulaw" });
    stream.say(speech);
    await new Promise((resolve, reject) => {
        const deadline = Date.now() + 8000;
        const iv = setInterval(() => {
            if (stream.events.some((e) => e.event === "clear")) { clearInterval(iv); resolve(); }
            else if (Date.now() > deadline) { clearInterval(iv); reject(new Error(`no clear; events ${JSON.stringify(stream.events.map((e) => e.event))}`)); }
        }, 20);
    });
    assert.equal(stream.events.find((e) => e.event === "clear").streamSid, stream.streamSid);
    await L.sleep(1500);
    stream.stop();
    assert.equal(await Promise.race([stream.closed, L.sleep(5000).then(() => "open")]), 1000);

    const rec = await L.waitForEnded(callId);
    assert.equal(rec.type, "inboundPhoneCall");
    assert.equal(rec.phoneNumberId, pn.json.id);
    assert.equal(rec.customer.number, "+15557654321");
    assert.equal(rec.phoneCallProvider, "twilio");
    assert.equal(rec.phoneCallProviderId, hook.form.CallSid);
    assert.equal(rec.endedReason, "customer-ended-call");
    assert.ok(rec.artifact.performanceMetrics.numUserInterrupted >= 1);
    // The chosen assistant's webhooks went to the phone number's server, with phoneNumber.
    await rx.waitFor((reqs) => reqs.some((r) => r.type === "end-of-call-report"), 15000);
    // The barge-in reached the server too.
    const interrupted = rx.ofType("user-interrupted");
    assert.ok(interrupted.length >= 1, "user-interrupted webhook");
    assert.equal(interrupted[0].json.message.call.id, callId);
    const report = rx.ofType("end-of-call-report")[0].json.message;
    assert.equal(report.phoneNumber.number, number);
    assert.equal(report.assistant.name, "Acme line");
    L.note(`twilio: ${stream.receivedMs()} ms of assistant audio, clear after barge-in, ${rx.requests.length} webhooks`);
});

test("Twilio webhook: bad signature 403, unknown number, assistant-request errors and a number with its own assistant", async (t) => {
    let mode = "error";
    const rx = await startReceiver((req) => {
        if (mode === "error") return { json: { error: "We are closed, please call again tomorrow." } };
        if (mode === "forward") return { json: { destination: { type: "number", number: "+15550009999", message: "Forwarding you." } } };
        if (mode === "slow") return { hang: true };
        if (mode === "garbage") return { text: "<html>502 Bad Gateway</html>", contentType: "text/html" };
        if (mode === "invalid") return { json: { assistant: { model: { provider: "nope" }, bogusField: 1 } } };
        return { json: {} };
    });
    t.after(() => rx.close());
    const number = "+1556" + String(Date.now()).slice(-7);
    const pn = await L.api("POST", "/phone-number", { provider: "twilio", number, twilioAccountSid: "AC" + "2".repeat(32),
                                                      twilioAuthToken: AUTH_TOKEN, server: { url: `${rx.url}/phone` } });
    assert.equal(pn.status, 201, pn.text);
    t.after(() => L.api("DELETE", `/phone-number/${pn.json.id}`));

    assert.equal((await voiceWebhook(number, { badSignature: true })).status, 403);
    assert.equal((await voiceWebhook(number, { sign: false })).status, 403);
    assert.match((await voiceWebhook("+19999999999")).twiml, /<Say>This number is not configured\.<\/Say><Hangup\/>/);
    // Refusals are answered with a stream of their own (Voxa says why; twilio-lifecycle.test.mjs).
    const refusedStream = (hook) => assert.ok(streamFromTwiml(hook.twiml).url && !/<Say>/.test(hook.twiml), hook.twiml);
    refusedStream(await voiceWebhook(number));
    mode = "forward";
    assert.match((await voiceWebhook(number)).twiml, /<Say>Forwarding you\.<\/Say><Dial>\+15550009999<\/Dial>/);
    mode = "garbage";  // not JSON -> refused
    refusedStream(await voiceWebhook(number));
    mode = "invalid";  // an assistant that fails validation -> refused
    refusedStream(await voiceWebhook(number));
    mode = "slow";  // no answer within 7.5 s -> refused, not a hang
    const t0 = Date.now();
    const slow = await voiceWebhook(number);
    const waited = Date.now() - t0;
    refusedStream(slow);
    assert.ok(waited >= 7000 && waited < 9500, `waited ${waited} ms`);
    const slowId = /\/([0-9a-f-]{36})\/twilio$/.exec(streamFromTwiml(slow.twiml).url)[1];
    assert.equal((await L.getCall(slowId)).phoneCallProviderId, slow.form.CallSid);

    // A number with an assistant answers without asking the server.
    const a = await L.api("POST", "/assistant", L.localAssistant({ firstMessage: "Hi." }));
    t.after(() => L.api("DELETE", `/assistant/${a.json.id}`));
    const patched = await L.api("PATCH", `/phone-number/${pn.json.id}`, { assistantId: a.json.id });
    assert.equal(patched.status, 200, patched.text);
    const before = rx.requests.length;
    const hook = await voiceWebhook(number);
    const { url, token } = streamFromTwiml(hook.twiml);
    assert.ok(url && token, hook.twiml);
    assert.equal(rx.requests.length, before, "no assistant-request");
    const callId = /\/([0-9a-f-]{36})\/twilio$/.exec(url)[1];
    const rec = await L.getCall(callId);
    assert.equal(rec.assistantId, a.json.id);
    assert.equal(rec.status, "ringing");
    // A stream with the wrong token is refused.
    const bad = new TwilioStream(url, "wrong-token", hook.form.CallSid);
    await bad.open();
    assert.equal(await Promise.race([bad.closed, L.sleep(5000).then(() => "open")]), 1008);
    bad.stop();
    // The assistant-request attempts are in the logs.
    const logs = await L.waitForLogs("type=Webhook&webhookType=assistant-request&limit=100", 5);
    assert.ok(logs.json.results.length >= 5);
    assert.ok(logs.json.results.some((l) => /not JSON/.test(l.error ?? "")));
});

test("transferCall to a number: the message is said, then Twilio is told to <Dial> it", async (t) => {
    // A server of our own whose Twilio REST API is this fake.
    const twilioApi = await startReceiver((req) => ({ status: 200, json: { sid: "CAxx", status: "in-progress" } }));
    t.after(() => twilioApi.close());
    const voxa = await L.ownVoxa(t, { VOXA_TWILIO_API_URL: twilioApi.url });
    const api = voxa.api;
    const assistant = await api("POST", "/assistant", L.localAssistant({
        firstMessage: "Hello.",
        model: { provider: "local", rules: [{ match: ["human"], reply: "Sure.", tool: "transferCall", arguments: { destination: "+15550001234" } }],
                 tools: [{ type: "transferCall", destinations: [{ type: "number", number: "+15550001234", callerId: "+15550000000",
                                                                  message: "Connecting you to a person." }] }] },
    }));
    assert.equal(assistant.status, 201, JSON.stringify(assistant.json));
    const sid = "AC" + "3".repeat(32);
    const number = "+1557" + String(Date.now()).slice(-7);
    const pn = await api("POST", "/phone-number", { provider: "twilio", number, twilioAccountSid: sid, twilioAuthToken: AUTH_TOKEN,
                                                   assistantId: assistant.json.id });
    assert.equal(pn.status, 201);
    const hook = await voiceWebhook(number, { base: voxa.base });
    const { url, token } = streamFromTwiml(hook.twiml);
    assert.ok(url, hook.twiml);
    const callId = /\/([0-9a-f-]{36})\/twilio$/.exec(url)[1];
    const stream = new TwilioStream(url, token, hook.form.CallSid);
    await stream.open();
    t.after(() => stream.stop());
    await L.sleep(1500);
    const live = await api("GET", `/call/${callId}`);
    assert.equal(live.status, 200);
    const r = await fetch(live.json.monitor.controlUrl, { method: "POST", headers: { "Content-Type": "application/json" },
                                                             body: JSON.stringify({ type: "add-message", message: { role: "user", content: "get me a human" } }) });
    assert.equal(r.status, 200);
    const code = await Promise.race([stream.closed, L.sleep(15000).then(() => "open")]);
    assert.equal(code, 1000, "the stream ends once Twilio has the call");
    const rest = twilioApi.requests.find((q) => q.path.includes("/Calls/"));
    assert.ok(rest, "Twilio's REST API was called");
    assert.equal(rest.path, `/2010-04-01/Accounts/${sid}/Calls/${hook.form.CallSid}.json`);
    assert.equal(rest.headers.authorization, "Basic " + Buffer.from(`${sid}:${AUTH_TOKEN}`).toString("base64"));
    const twiml = new URLSearchParams(rest.text).get("Twiml");
    assert.equal(twiml, '<Response><Dial callerId="+15550000000">+15550001234</Dial></Response>');
    let rec;
    for (let i = 0; i < 50; i++) {
        rec = (await api("GET", `/call/${callId}`)).json;
        if (rec.status === "ended") break;
        await L.sleep(100);
    }
    assert.equal(rec.endedReason, "assistant-forwarded-call");
    assert.equal(rec.destination.number, "+15550001234");
    const bot = rec.messages.filter((m) => m.role === "bot").map((m) => m.message).join(" ");
    assert.match(bot, /Connecting you to a person\./);
    // Twilio said the message before the transfer: ~2 s of voiced audio after the request.
    assert.ok(stream.voicedMs() > 1500, `${stream.voicedMs()} ms voiced`);
});

test("a transfer on a websocket call is refused with a clear error", async (t) => {
    const { call, client } = await L.startCall({ assistant: L.localAssistant({ firstMessage: "Hi." }) });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitForMessage({ type: "status-update", status: "in-progress" }, 8000);
    const r = await L.control(call, { type: "transfer", destination: { type: "number", number: "+15550001234" } });
    assert.equal(r.status, 400);
    assert.match(JSON.stringify(r.json), /no phone line/);
    await L.control(call, { type: "end-call" });
});

test("outbound call: POST /call with phoneNumberId asks Twilio to dial; the answered call streams back", async (t) => {
    let refuse = false;
    const twilioApi = await startReceiver((req) =>
        refuse ? { status: 401, json: { code: 20003, message: "Authenticate" } }
               : { status: 201, json: { sid: "CA" + "9".repeat(32), status: "queued" } });
    t.after(() => twilioApi.close());
    const voxa = await L.ownVoxa(t, { VOXA_TWILIO_API_URL: twilioApi.url });
    const api = voxa.api;
    const sid = "AC" + "4".repeat(32);
    const pn = await api("POST", "/phone-number", { provider: "twilio", number: "+15550002222", twilioAccountSid: sid, twilioAuthToken: AUTH_TOKEN });
    assert.equal(pn.status, 201);
    const created = await api("POST", "/call", { assistant: L.localAssistant({ firstMessage: "Hello, this is a reminder call from Acme about your appointment tomorrow." }),
                                                 phoneNumberId: pn.json.id, customer: { number: "+15553334444", name: "Ada" } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const call = created.json;
    assert.equal(call.type, "outboundPhoneCall");
    assert.equal(call.status, "queued");
    assert.equal(call.phoneNumberId, pn.json.id);
    assert.equal(call.customer.number, "+15553334444");
    assert.equal(call.phoneCallProvider, "twilio");
    assert.equal(call.phoneCallProviderId, "CA" + "9".repeat(32));
    // Twilio was asked to dial the customer from our number, with TwiML that streams to us.
    const rest = twilioApi.requests.find((q) => q.path === `/2010-04-01/Accounts/${sid}/Calls.json`);
    assert.ok(rest, JSON.stringify(twilioApi.requests.map((q) => q.path)));
    assert.equal(rest.headers.authorization, "Basic " + Buffer.from(`${sid}:${AUTH_TOKEN}`).toString("base64"));
    const form = new URLSearchParams(rest.text);
    assert.equal(form.get("To"), "+15553334444");
    assert.equal(form.get("From"), "+15550002222");
    const { url, token } = streamFromTwiml(form.get("Twiml"));
    assert.equal(url, `${voxa.base.replace("http", "ws")}/${call.id}/twilio`);
    // The callee answers: Twilio opens the stream and the assistant speaks first.
    const stream = new TwilioStream(url, token, call.phoneCallProviderId);
    await stream.open();
    t.after(() => stream.stop());
    for (let i = 0; i < 80 && stream.voicedMs() <= 1500; i++) await L.sleep(100);
    assert.ok(stream.voicedMs() > 1500, `${stream.voicedMs()} ms of assistant audio`);
    stream.stop();
    let rec;
    for (let i = 0; i < 50; i++) {
        rec = (await api("GET", `/call/${call.id}`)).json;
        if (rec.status === "ended") break;
        await L.sleep(100);
    }
    assert.equal(rec.endedReason, "customer-ended-call");
    assert.ok(rec.messages.some((m) => m.role === "bot" && /^Hello/.test(m.message)), JSON.stringify(rec.messages));
    // Refusals are clear: no customer number, a number Twilio will not dial, Twilio saying no.
    assert.equal((await api("POST", "/call", { assistant: L.localAssistant(), phoneNumberId: pn.json.id })).status, 400);
    const vapiNumber = await api("POST", "/phone-number", { provider: "byo-phone-number", number: "+15550003333", credentialId: "00000000-0000-4000-8000-000000000001" });
    if (vapiNumber.status === 201) {
        const r = await api("POST", "/call", { assistant: L.localAssistant(), phoneNumberId: vapiNumber.json.id, customer: { number: "+15553334444" } });
        assert.equal(r.status, 400);
        assert.match(JSON.stringify(r.json), /provider twilio/);
    }
    refuse = true;
    const failed = await api("POST", "/call", { assistant: L.localAssistant(), phoneNumberId: pn.json.id, customer: { number: "+15553334444" } });
    assert.equal(failed.status, 400);
    assert.match(JSON.stringify(failed.json), /Twilio could not place the call: HTTP 401/);
});

// An ordered log of what Twilio received on a stream: media frames and "clear".
function streamLog(stream) {
    const log = [];
    stream.ws.addEventListener("message", (ev) => {
        const m = JSON.parse(ev.data);
        if (m.event === "media") log.push({ kind: "audio", pcm: L.decodeMulaw(Buffer.from(m.media.payload, "base64")) });
        else if (m.event === "clear") log.push({ kind: "cut" });
    });
    return log;
}

async function twilioCallTo(t, assistant) {
    const a = await L.api("POST", "/assistant", assistant);
    assert.equal(a.status, 201, a.text);
    t.after(() => L.api("DELETE", `/assistant/${a.json.id}`));
    const number = "+1558" + String(Date.now() + Math.floor(Math.random() * 1e6)).slice(-7);
    const pn = await L.api("POST", "/phone-number", { provider: "twilio", number, twilioAccountSid: "AC" + "5".repeat(32),
                                                      twilioAuthToken: AUTH_TOKEN, assistantId: a.json.id });
    assert.equal(pn.status, 201, pn.text);
    t.after(() => L.api("DELETE", `/phone-number/${pn.json.id}`));
    const hook = await voiceWebhook(number);
    const { url, token } = streamFromTwiml(hook.twiml);
    assert.ok(url && token, hook.twiml);
    const stream = new TwilioStream(url, token, hook.form.CallSid);
    const log = streamLog(stream);
    await stream.open();
    t.after(() => stream.stop());
    return { stream, log, callId: /\/([0-9a-f-]{36})\/twilio$/.exec(url)[1] };
}

test("Twilio barge-ins: after each clear the next reply starts quiet, nothing of the interrupted one", async (t) => {
    // Long enough (~2 s) that its voice confirms the barge-in however the 8 kHz recognizer
    // hears it: this is about the audio after the clear, not about words.
    const speech = await L.synth("wait a moment please, I have another question", { rate: 8000, format: "mulaw" });
    const firsts = await Promise.all([0, 1].map(async (i) => {
        const { stream, log, callId } = await twilioCallTo(t, C.talkativeAssistant());
        const got = await C.bargeInLoop(log, () => stream.say(speech), 6, `twilio call ${i}`);
        stream.stop();
        const rec = await L.waitForEnded(callId, 15000);
        assert.ok(rec.artifact.performanceMetrics.numUserInterrupted >= 6);
        return got;
    }));
    C.assertQuietStarts(firsts.flat(), "twilio");
    assert.ok(firsts.flat().length >= 10);
});

test("Twilio: the caller talking during the greeting gets greeting, line and reply in time order", async (t) => {
    const REPLY = "We open at nine.";
    const { stream, callId } = await twilioCallTo(t, L.localAssistant({
        firstMessage: C.LONG_GREETING,  // not interruptible: the default for a first message
        endCallPhrases: ["we open at nine"],
        model: { provider: "local", rules: [{ reply: REPLY }] } }));
    for (let i = 0; i < 50 && stream.voicedMs() < 2000; i++) await L.sleep(100);
    stream.say(await L.synth("what are your opening hours", { rate: 8000, format: "mulaw" }));
    // The reply ends the call (an end-call phrase): Twilio's stream is closed.
    assert.equal(await Promise.race([stream.closed, L.sleep(25000).then(() => "open")]), 1000);
    const rec = await L.waitForEnded(callId, 15000);
    assert.equal(rec.endedReason, "assistant-said-end-call-phrase");
    C.assertInOrder(rec, C.LONG_GREETING, REPLY);
});
