// The custom-transcriber against a customer's transcriber (fake-custom-transcriber.mjs: Vapi's
// documented protocol, real recognition of each channel) at transcriber.server.url: the
// caller is heard through it and answered, the server gets the start message, the secret and
// headers, and the call as stereo with the assistant's audio on channel 1; its assistant
// transcriptions are not the caller's; the local fallback transcriber takes over when it dies
// mid-call; each way it can fail -> Vapi's endedReason. One Voxa for the file.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { startCustomTranscriberFake } from "./fake-custom-transcriber.mjs";
import * as L from "./lib.mjs";

const FIRST = "Hello, thanks for calling the garden center.";
const REPLY = "Your appointment is booked for Tuesday.";

const ct = await startCustomTranscriberFake({ secret: "s3cret" });
after(() => ct.close());
const own = await L.ownVoxa({ after });  // loopback is allowed: the fake is there

function assistant(transcriber = {}) {
    return {
        firstMessage: FIRST,
        transcriber: { provider: "custom-transcriber",
                       server: { url: ct.url, secret: "s3cret", headers: { "X-Tenant": "acme" } }, ...transcriber },
        voice: { provider: "local", voiceId: "slt" },
        model: { provider: "local", rules: [{ match: ["appointment", "book", "tomorrow"], reply: REPLY }, { reply: REPLY }] },
    };
}

/** Notes how the call ended when the test fails (a call that ended early explains a timeout). */
function explainFailure(t, call) {
    const state = { passed: false };
    t.after(async () => {
        if (state.passed) return;
        const r = await own.api("GET", `/call/${call.id}`);
        L.note(`call ${call.id}: status ${r.json?.status}, endedReason ${r.json?.endedReason}`);
    });
    return state;
}

const botStopped = (m) => m.type === "speech-update" && m.role === "assistant" && m.status === "stopped";
const userFinals = (client) => client.messages.map((e) => e.msg)
    .filter((m) => m.type === "transcript" && m.role === "user" && m.transcriptType === "final" && m.transcript);

async function socketOf(client, before) {
    await client.waitFor(() => ct.sockets.length > before && ct.sockets[before].start, 5000, "the transcriber's socket");
    return ct.sockets[before];
}

test("custom-transcriber: the caller is heard through the server and answered; the server hears both sides", async (t) => {
    const before = ct.sockets.length;
    const { call, client } = await L.ownCall(own, { assistant: assistant() });
    t.after(() => client.close());
    const outcome = explainFailure(t, call);
    client.startContinuous();
    const sock = await socketOf(client, before);  // opened while the call is set up
    assert.deepEqual(sock.start, { type: "start", encoding: "linear16", container: "raw", sampleRate: 16000, channels: 2 });
    assert.equal(sock.headers["x-vapi-secret"], "s3cret");
    assert.equal(sock.headers["x-tenant"], "acme");

    await client.waitForMessage(botStopped, 10000);
    const spoken = await client.streamPcm(await L.synth("I would like to book an appointment for tomorrow"));
    const final = await client.waitFor(() => userFinals(client)[0], 25000, "the caller's final transcript");
    L.note(`custom-transcriber: user final "${final.transcript}"`);
    assert.ok(L.wordHits(final.transcript, ["book", "appointment", "tomorrow"]).ratio >= 2 / 3, final.transcript);
    assert.ok(ct.said(sock, "customer").includes(final.transcript), "the server's customer transcription, as it sent it");
    await client.waitFor((c) => c.messages.find((e) => e.t > spoken.endedAt && botStopped(e.msg)), 25000, "the reply");
    const heard = await L.transcribe(client.receivedPcm(spoken.endedAt), 16000);
    L.note(`custom-transcriber: reply heard as "${heard}"`);
    assert.ok(L.wordHits(heard, ["appointment", "booked", "tuesday"]).ratio >= 1 / 3, `reply heard as "${heard}"`);

    // Channel 1 carried what the caller heard: the server recognised the first message there,
    // and those words never became the caller's.
    await client.waitFor(() => ct.said(sock, "assistant").length >= 1, 8000, "an assistant transcription");
    const assistantSaid = ct.said(sock, "assistant").join(" ");
    L.note(`custom-transcriber: the server heard the assistant say "${assistantSaid}"`);
    assert.ok(L.wordHits(assistantSaid, ["thanks", "calling", "garden", "center"]).ratio >= 0.5, assistantSaid);
    assert.equal(userFinals(client).filter((m) => L.wordHits(m.transcript, ["garden", "center"]).hits.length).length, 0,
                 "the assistant's words are not the caller's");
    assert.ok(!L.wordHits(ct.said(sock, "customer").join(" "), ["garden", "center", "tuesday"]).hits.length,
              "nothing of the assistant on the customer channel");
    // Stereo in real time: both channels as long as the call so far, in whole frames.
    assert.equal(sock.oddFrames, 0);
    assert.equal(sock.customerBytes, sock.assistantBytes);
    const seconds = sock.customerBytes / 32000, elapsed = (Date.now() - sock.opened) / 1000;
    assert.ok(seconds > elapsed - 1.5 && seconds < elapsed + 0.5, `${seconds.toFixed(2)} s of audio after ${elapsed.toFixed(2)} s`);

    client.endCall();
    const rec = await L.ownEnded(own, call.id);
    assert.equal(rec.endedReason, "customer-ended-call");
    await client.waitFor(() => sock.closedBy !== null, 5000, "the socket to close");
    assert.equal(sock.closedBy, "client");
    const user = rec.artifact.messages.find((m) => m.role === "user");
    assert.equal(user?.metadata?.transcriber, "custom-transcriber");
    outcome.passed = true;
});

test("custom-transcriber: the server dies while the caller talks; the local fallback hears it whole", async (t) => {
    const before = ct.sockets.length;
    const { call, client } = await L.ownCall(own, { assistant: assistant({
        fallbackPlan: { transcribers: [{ provider: "local" }] } }) });
    t.after(() => client.close());
    const outcome = explainFailure(t, call);
    client.startContinuous();
    const sock = await socketOf(client, before);
    await client.waitForMessage(botStopped, 10000);
    const speech = await L.synth("I would like to book an appointment for tomorrow");
    const spoken = client.streamPcm(speech);
    await L.sleep(900);
    ct.drop();
    await spoken;
    const final = await client.waitFor(() => userFinals(client)[0], 25000, "the fallback's final");
    L.note(`custom-transcriber: heard by the fallback: "${final.transcript}"`);
    assert.ok(L.wordHits(final.transcript, ["appointment", "tomorrow"]).hits.length >= 1, final.transcript);
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === REPLY, 25000);
    assert.equal(sock.closedBy, "server");
    assert.equal(ct.sockets.length, before + 1, "the fallback is local: no second socket");
    client.endCall();
    const rec = await L.ownEnded(own, call.id);
    assert.equal(rec.endedReason, "customer-ended-call");
    assert.equal(rec.artifact.messages.find((m) => m.role === "user")?.metadata?.transcriber, "local");
    outcome.passed = true;
});

for (const mode of ["wrong-secret", "refuse", "close-mid-utterance", "garbage"]) {
    test(`custom-transcriber failing (${mode}) -> pipeline-error-custom-transcriber-failed`, async (t) => {
        const before = ct.sockets.length;
        if (mode !== "wrong-secret") ct.misbehave(mode);
        t.after(() => ct.misbehave(null));
        const { call, client } = await L.ownCall(own, { assistant: assistant(
            mode === "wrong-secret" ? { server: { url: ct.url, secret: "wrong" } } : {}) });
        t.after(() => client.close());
        client.startContinuous();
        if (mode === "close-mid-utterance" || mode === "garbage") {
            await client.waitForMessage(botStopped, 10000);
            await client.streamPcm(await L.synth("I would like to book an appointment for tomorrow"));
        }
        const rec = await L.ownEnded(own, call.id, 30000);
        assert.equal(rec.endedReason, "pipeline-error-custom-transcriber-failed");
        assert.equal(ct.sockets.length, before + 1, "one try");
        if (mode === "wrong-secret") assert.equal(ct.sockets[before].headers["x-vapi-secret"], "wrong");
    });
}
