// Phone calls that end before a conversation: Twilio's status callbacks of an outbound call
// (StatusCallback on Calls.json, signed callbacks to /twilio/status/<callId>, CallStatus
// mapped to Vapi's endedReason), the join bound of a call whose Media Stream never connects
// (Voxa then hangs the line up through Twilio's REST API), calls refused through
// assistant-request (a record, and the reason said in Voxa's own voice over the stream), and
// phone numbers whose assistantId is not an id. Twilio's REST API is a fake (receiver.mjs)
// that answers as Twilio's Call resource does and posts status callbacks as Twilio would.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { test } from "node:test";
import * as L from "./lib.mjs";
import { startReceiver } from "./receiver.mjs";
import { AUTH_TOKEN, TwilioStream, streamFromTwiml, twilioSignature, voiceWebhook } from "./twilio-lib.mjs";

const NEVER_CONNECTED = "call.in-progress.error-providerfault-transport-never-connected";

// A fake of Twilio's REST API: Calls.json creates a call (201, the Call resource), a POST to
// Calls/<sid>.json updates one (200). Every request is kept in `.requests`.
async function fakeTwilio() {
    return startReceiver((req) => {
        const m = /\/Accounts\/(AC\w+)\/Calls(?:\/(CA\w+))?\.json$/.exec(req.path);
        if (!m) return { status: 404, json: { code: 20404, message: "The requested resource was not found", status: 404 } };
        const form = new URLSearchParams(req.text);
        if (!m[2])
            return { status: 201, json: { sid: "CA" + randomBytes(16).toString("hex"), account_sid: m[1], status: "queued",
                                          to: form.get("To"), from: form.get("From"), direction: "outbound-api",
                                          api_version: "2010-04-01" } };
        // Status=canceled leaves a call in progress alone; completed hangs it up.
        return { status: 200, json: { sid: m[2], account_sid: m[1], status: form.get("Status") } };
    });
}

// Twilio's status callback: the form it posts to the StatusCallback URL, signed.
let sequence = 0;
async function statusCallback(url, call, status, { sign = true, badSignature = false, extra = {} } = {}) {
    const form = { CallSid: call.sid, AccountSid: call.accountSid, From: call.from, To: call.to, CallStatus: status,
                   Direction: "outbound-api", ApiVersion: "2010-04-01", Timestamp: new Date().toUTCString(),
                   CallbackSource: "call-progress-events", SequenceNumber: String(sequence++), ...extra };
    if (status === "completed" || status === "busy" || status === "no-answer" || status === "failed" || status === "canceled")
        form.CallDuration = "0";
    const headers = { "Content-Type": "application/x-www-form-urlencoded" };
    if (sign) headers["X-Twilio-Signature"] = badSignature ? twilioSignature(url, form, "another-token") : twilioSignature(url, form);
    const res = await fetch(url, { method: "POST", headers, body: new URLSearchParams(form) });
    return res.status;
}

// A server of the test's own with a fake Twilio, an org server (receiver) and a Twilio number.
async function outboundSetup(t, env = {}) {
    const twilio = await fakeTwilio();
    t.after(() => twilio.close());
    const rx = await startReceiver();
    t.after(() => rx.close());
    const voxa = await L.ownVoxa(t, { VOXA_TWILIO_API_URL: twilio.url, ...env });
    const accountSid = "AC" + randomBytes(16).toString("hex");
    const from = "+1558" + String(Date.now()).slice(-7);
    const pn = await voxa.api("POST", "/phone-number", { provider: "twilio", number: from, twilioAccountSid: accountSid,
                                                        twilioAuthToken: AUTH_TOKEN, server: { url: `${rx.url}/hook` } });
    assert.equal(pn.status, 201, JSON.stringify(pn.json));
    const place = async (extra = {}) => {
        const created = await voxa.api("POST", "/call", { assistant: L.localAssistant({ firstMessage: "Hello, this is Acme calling about your order.", ...extra }),
                                                         phoneNumberId: pn.json.id, customer: { number: "+15553330000" } });
        assert.equal(created.status, 201, JSON.stringify(created.json));
        const rest = twilio.requests.filter((q) => q.path.endsWith("/Calls.json")).at(-1);
        const form = new URLSearchParams(rest.text);
        return { id: created.json.id, record: created.json, form,
                 sid: created.json.phoneCallProviderId, accountSid, from, to: "+15553330000" };
    };
    const getCall = async (id) => (await voxa.api("GET", `/call/${id}`)).json;
    const waitEnded = async (id, timeoutMs = 10000) => {
        const deadline = Date.now() + timeoutMs;
        let rec;
        while (Date.now() < deadline) {
            rec = await getCall(id);
            if (rec.status === "ended") return rec;
            await L.sleep(50);
        }
        throw new Error(`call ${id} not ended after ${timeoutMs} ms (status ${rec?.status})`);
    };
    return { voxa, twilio, rx, pn: pn.json, place, getCall, waitEnded };
}

test("outbound: Voxa asks Twilio for signed status callbacks; busy, no-answer, failed, canceled and completed end the call", async (t) => {
    const s = await outboundSetup(t);
    // Two calls at once at most: a call that ended must give its slot back for the next.
    const orgs = await s.voxa.api("GET", "/org");
    const org = Array.isArray(orgs.json) ? orgs.json[0] : orgs.json;
    assert.equal((await s.voxa.api("PATCH", `/org/${org.id}`, { concurrencyLimit: 2 })).status, 200);
    const expected = { "busy": "customer-busy", "no-answer": "customer-did-not-answer", "failed": "twilio-failed-to-connect-call",
                       "canceled": "manually-canceled", "completed": "call.in-progress.twilio-completed-call" };
    for (const [status, endedReason] of Object.entries(expected)) {
        const call = await s.place();
        assert.equal(call.record.status, "queued");
        // Calls.json asks for every progress event, POSTed to a URL naming the call; it rings 60 s.
        assert.equal(call.form.get("StatusCallback"), `${s.voxa.base}/twilio/status/${call.id}`, call.form.toString());
        assert.equal(call.form.get("StatusCallbackMethod"), "POST");
        assert.deepEqual(call.form.getAll("StatusCallbackEvent"), ["initiated", "ringing", "answered", "completed"]);
        assert.equal(call.form.get("Timeout"), "60");
        const url = call.form.get("StatusCallback");

        assert.equal(await statusCallback(url, call, "initiated"), 200);
        assert.equal(await statusCallback(url, call, "ringing"), 200);
        assert.equal((await s.getCall(call.id)).status, "ringing");
        // Unsigned or badly signed callbacks change nothing.
        assert.equal(await statusCallback(url, call, status, { badSignature: true }), 403);
        assert.equal(await statusCallback(url, call, status, { sign: false }), 403);
        assert.equal(await statusCallback(`${s.voxa.base}/twilio/status/${randomUUID()}`, call, status), 404);
        await L.sleep(200);
        assert.equal((await s.getCall(call.id)).status, "ringing", "a refused callback changed the call");

        const t0 = Date.now();
        assert.equal(await statusCallback(url, call, status), 200);
        const rec = await s.waitEnded(call.id, 5000);
        assert.equal(rec.endedReason, endedReason, status);
        assert.equal(rec.phoneCallProviderId, call.sid);
        // The same end as any call's: status-update ended and an end-of-call-report, at the number's server.
        await s.rx.waitFor((reqs) => reqs.some((r) => r.type === "end-of-call-report" && r.json.message.call.id === call.id), 10000,
                           `end-of-call-report of the ${status} call`);
        const report = s.rx.ofType("end-of-call-report").find((r) => r.json.message.call.id === call.id).json.message;
        assert.equal(report.endedReason, endedReason);
        assert.ok(s.rx.ofType("status-update").some((r) => r.json.message.call.id === call.id &&
                                                          r.json.message.status === "ended" && r.json.message.endedReason === endedReason));
        L.note(`${status}: ended ${Date.now() - t0} ms after the callback (${endedReason})`);
        // Twilio ended the line itself: Voxa does not hang it up again.
        assert.ok(!s.twilio.requests.some((q) => q.path.includes(`/Calls/${call.sid}.json`)));
    }
    // The org's two slots came back: five calls ended, two more are placed, a third is refused.
    await L.sleep(300);  // the last one's session lets go of its slot once its report is stored
    await s.place();
    await s.place();
    const over = await s.voxa.api("POST", "/call", { assistant: L.localAssistant(), phoneNumberId: s.pn.id, customer: { number: "+15553330000" } });
    assert.equal(over.status, 400, JSON.stringify(over.json));
    assert.equal(over.json.subscriptionLimits?.concurrencyBlocked, true, JSON.stringify(over.json));
});

test("outbound: a ringing call outlives the join timeout; answered, its stream connects; Twilio's completed ends the live call", async (t) => {
    const s = await outboundSetup(t, { VOXA_JOIN_TIMEOUT_SECONDS: "2" });
    const call = await s.place();
    const url = call.form.get("StatusCallback");
    assert.ok(url, call.form.toString());
    assert.equal(await statusCallback(url, call, "ringing"), 200);
    await L.sleep(3500);  // longer than --join-timeout-seconds: the phone is still ringing
    assert.equal((await s.getCall(call.id)).status, "ringing");
    await L.sleep(1000);
    assert.equal(await statusCallback(url, call, "in-progress"), 200);  // answered
    const { url: streamUrl, token } = streamFromTwiml(call.form.get("Twiml"));
    const stream = new TwilioStream(streamUrl, token, call.sid);
    await stream.open();
    t.after(() => stream.stop());
    for (let i = 0; i < 80 && stream.voicedMs() <= 1000; i++) await L.sleep(100);
    assert.ok(stream.voicedMs() > 1000, `${stream.voicedMs()} ms of assistant audio`);
    await L.sleep(2500);  // past the restarted bound: the joined call goes on
    assert.equal((await s.getCall(call.id)).status, "in-progress");
    // The callee hangs up; Twilio's completed comes before (or without) the stream's stop.
    assert.equal(await statusCallback(url, call, "completed"), 200);
    assert.equal(await Promise.race([stream.closed, L.sleep(5000).then(() => "open")]), 1000);
    const rec = await s.waitEnded(call.id, 5000);
    assert.equal(rec.endedReason, "customer-ended-call");
    assert.ok(rec.messages.some((m) => m.role === "bot" && /^Hello/.test(m.message)), JSON.stringify(rec.messages));
    stream.stop();  // the stop that follows changes nothing
    await L.sleep(300);
    assert.equal((await s.getCall(call.id)).endedReason, "customer-ended-call");
});

test("outbound: answered but the stream never connects -> ended after the join timeout, and Voxa hangs up the line", async (t) => {
    const s = await outboundSetup(t, { VOXA_JOIN_TIMEOUT_SECONDS: "2" });
    const call = await s.place();
    const url = call.form.get("StatusCallback");
    assert.ok(url, call.form.toString());
    assert.equal(await statusCallback(url, call, "ringing"), 200);
    assert.equal(await statusCallback(url, call, "in-progress"), 200);
    const t0 = Date.now();
    const rec = await s.waitEnded(call.id, 8000);
    const waited = Date.now() - t0;
    assert.equal(rec.endedReason, NEVER_CONNECTED);
    assert.ok(waited >= 1500 && waited < 6000, `ended ${waited} ms after the answer`);
    // Twilio is told to end the answered call (Status=completed on Calls/<sid>.json).
    await s.twilio.waitFor((reqs) => reqs.some((q) => q.path.endsWith(`/Calls/${call.sid}.json`)), 5000, "the hang-up");
    const hangUp = s.twilio.requests.find((q) => q.path.endsWith(`/Calls/${call.sid}.json`));
    assert.equal(hangUp.path, `/2010-04-01/Accounts/${call.accountSid}/Calls/${call.sid}.json`);
    assert.equal(new URLSearchParams(hangUp.text).get("Status"), "completed");
    assert.equal(hangUp.headers.authorization, "Basic " + Buffer.from(`${call.accountSid}:${AUTH_TOKEN}`).toString("base64"));
    L.note(`outbound answered, no stream: ended after ${waited} ms, hung up with Status=completed`);
});

test("inbound: a call whose Media Stream never connects ends within the join timeout, and Voxa hangs up the line", async (t) => {
    const twilio = await fakeTwilio();
    t.after(() => twilio.close());
    const voxa = await L.ownVoxa(t, { VOXA_TWILIO_API_URL: twilio.url, VOXA_JOIN_TIMEOUT_SECONDS: "2" });
    const assistant = await voxa.api("POST", "/assistant", L.localAssistant({ firstMessage: "Hi." }));
    const accountSid = "AC" + randomBytes(16).toString("hex");
    const number = "+1559" + String(Date.now()).slice(-7);
    const pn = await voxa.api("POST", "/phone-number", { provider: "twilio", number, twilioAccountSid: accountSid,
                                                        twilioAuthToken: AUTH_TOKEN, assistantId: assistant.json.id });
    assert.equal(pn.status, 201, JSON.stringify(pn.json));
    const hook = await voiceWebhook(number, { base: voxa.base });
    const { url } = streamFromTwiml(hook.twiml);
    assert.ok(url, hook.twiml);
    const callId = /\/([0-9a-f-]{36})\/twilio$/.exec(url)[1];
    const t0 = Date.now();
    let rec;
    while (Date.now() - t0 < 8000) {
        rec = (await voxa.api("GET", `/call/${callId}`)).json;
        if (rec.status === "ended") break;
        await L.sleep(50);
    }
    const waited = Date.now() - t0;
    assert.equal(rec.status, "ended", `still ${rec.status} after ${waited} ms`);
    assert.equal(rec.endedReason, NEVER_CONNECTED);
    assert.ok(waited < 6000, `ended after ${waited} ms`);
    L.note(`inbound, no stream: ended after ${waited} ms`);
    // The caller is not left on a dead line: Twilio is told to end the (answered) call.
    await twilio.waitFor((reqs) => reqs.some((q) => q.path.endsWith(`/Calls/${hook.form.CallSid}.json`)), 5000, "the hang-up");
    const hangUp = twilio.requests.find((q) => q.path.endsWith(`/Calls/${hook.form.CallSid}.json`));
    assert.equal(new URLSearchParams(hangUp.text).get("Status"), "completed");
});

test("assistant-request refusals keep the call's record and are said in Voxa's voice over the stream", async (t) => {
    const unknownAssistant = randomUUID(), unknownSquad = randomUUID();
    const answers = {
        "error": { json: { error: "We are closed today, please call again tomorrow." } },
        "unspeakable": { json: { error: { code: 42 } } },
        "garbage": { text: "<html>502 Bad Gateway</html>", contentType: "text/html" },
        "http500": { status: 500, json: { message: "boom" } },
        "empty": { json: {} },
        "overrides-only": { json: { assistantOverrides: { firstMessage: "Hi" } } },
        "invalid": { json: { assistant: { model: { provider: "nope" }, bogusField: 1 } } },
        "unknown-assistant": { json: { assistantId: unknownAssistant } },
        "unknown-squad": { json: { squadId: unknownSquad } },
    };
    const expected = {
        "error": "assistant-request-returned-error",
        "unspeakable": "assistant-request-returned-unspeakable-error",
        "garbage": "assistant-request-failed",
        "http500": "assistant-request-failed",
        "empty": "assistant-request-returned-no-assistant",
        "overrides-only": "assistant-request-returned-no-assistant",
        "invalid": "assistant-request-returned-invalid-assistant",
        "unknown-assistant": "assistant-request-returned-invalid-assistant",
        "unknown-squad": "assistant-request-returned-invalid-assistant",
    };
    const rx = await startReceiver((req) => {
        const kind = req.path.slice(1);
        if (req.type === "assistant-request") return answers[kind];
        return { status: 200, json: {} };
    });
    t.after(() => rx.close());

    await Promise.all(Object.keys(answers).map(async (kind, i) => {
        const number = "+1560" + String(Date.now() + i).slice(-7);
        const pn = await L.api("POST", "/phone-number", { provider: "twilio", number, twilioAccountSid: "AC" + "6".repeat(32),
                                                          twilioAuthToken: AUTH_TOKEN, server: { url: `${rx.url}/${kind}` } });
        assert.equal(pn.status, 201, pn.text);
        t.after(() => L.api("DELETE", `/phone-number/${pn.json.id}`));
        const from = "+1555" + String(1000000 + i);
        const hook = await voiceWebhook(number, { from });
        assert.equal(hook.status, 200, hook.twiml);
        assert.doesNotMatch(hook.twiml, /<Say>/, `${kind}: Voxa speaks, not Twilio`);
        const { url, token } = streamFromTwiml(hook.twiml);
        assert.ok(url && token, `${kind}: ${hook.twiml}`);
        const callId = /\/([0-9a-f-]{36})\/twilio$/.exec(url)[1];
        const ar = rx.ofType("assistant-request").find((r) => r.path === `/${kind}`);
        assert.equal(ar.json.message.call.id, callId, `${kind}: the id sent in the assistant-request`);

        // The caller hears Voxa say why, then the stream closes.
        const stream = new TwilioStream(url, token, hook.form.CallSid);
        await stream.open();
        t.after(() => stream.stop());
        const code = await Promise.race([stream.closed, L.sleep(20000).then(() => "open")]);
        assert.equal(code, 1000, `${kind}: the stream ends`);
        assert.ok(stream.voicedMs() >= 500, `${kind}: ${stream.voicedMs()} ms of Voxa's voice`);

        const rec = await L.waitForEnded(callId, 10000);
        assert.equal(rec.endedReason, expected[kind], kind);
        assert.equal(rec.type, "inboundPhoneCall");
        assert.equal(rec.phoneNumberId, pn.json.id);
        assert.equal(rec.customer.number, from);
        assert.equal(rec.phoneCallProvider, "twilio");
        assert.equal(rec.phoneCallProviderId, hook.form.CallSid);
        const said = rec.messages.filter((m) => m.role === "bot").map((m) => m.message).join(" ");
        if (kind === "error") assert.equal(said, "We are closed today, please call again tomorrow.");
        else assert.match(said, /Sorry/, `${kind}: ${said}`);
        // Server messages as for any ended call, to the number's server.
        await rx.waitFor((reqs) => reqs.some((r) => r.type === "end-of-call-report" && r.json.message.call.id === callId), 15000,
                         `end-of-call-report of ${kind}`);
        const report = rx.ofType("end-of-call-report").find((r) => r.json.message.call.id === callId);
        assert.equal(report.path, `/${kind}`);
        assert.equal(report.json.message.endedReason, expected[kind]);
        assert.ok(rx.ofType("status-update").some((r) => r.json.message.call.id === callId && r.json.message.status === "ended"));
        L.note(`${kind}: ${stream.voicedMs()} ms said, ${rec.endedReason}`);
    }));
});

test("phone numbers: an empty or malformed assistantId, squadId, workflowId or credentialId is refused", async (t) => {
    const number = () => "+1561" + String(Date.now()).slice(-7) + String(Math.floor(Math.random() * 10));
    for (const field of ["assistantId", "squadId", "workflowId"]) {
        for (const value of ["", "not-a-uuid"]) {
            const r = await L.api("POST", "/phone-number", { provider: "twilio", number: number(), twilioAccountSid: "AC" + "7".repeat(32),
                                                             twilioAuthToken: AUTH_TOKEN, [field]: value });
            assert.equal(r.status, 400, `${field}=${JSON.stringify(value)}: ${r.text}`);
            assert.deepEqual(r.json, { message: [`${field} must be a UUID`], error: "Bad Request", statusCode: 400 });
        }
    }
    const byo = await L.api("POST", "/phone-number", { provider: "byo-phone-number", number: number(), credentialId: "" });
    assert.equal(byo.status, 400, byo.text);
    assert.ok(byo.json.message.includes("credentialId must be a UUID"), byo.text);
    const pn = await L.api("POST", "/phone-number", { provider: "twilio", number: number(), twilioAccountSid: "AC" + "7".repeat(32),
                                                      twilioAuthToken: AUTH_TOKEN });
    assert.equal(pn.status, 201, pn.text);
    t.after(() => L.api("DELETE", `/phone-number/${pn.json.id}`));
    const patched = await L.api("PATCH", `/phone-number/${pn.json.id}`, { assistantId: "" });
    assert.equal(patched.status, 400, patched.text);
    assert.deepEqual(patched.json, { message: ["assistantId must be a UUID"], error: "Bad Request", statusCode: 400 });
    assert.equal((await L.api("PATCH", `/phone-number/${pn.json.id}`, { assistantId: null })).status, 200);
});
