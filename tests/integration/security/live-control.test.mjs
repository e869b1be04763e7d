// Finding 3 (#11): live control and listen need the call's own secret, not only its id.
// Call ids are in every webhook payload and log line, so /<callId>/control and
// /<callId>/listen must answer 404 (as for a call that does not exist) and do nothing; the
// URLs of the call record (monitor.controlUrl, monitor.listenUrl) carry a per-call secret.
// monitorPlan's authentication switches still require the org's private key on top.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sleep, voxa } from "./lib.mjs";
import { createCall, getCall, join, localAssistant, openSocket, randomSecret, upgradeStatus } from "./calls.mjs";

const SAY = "The control URL works.";

const post = (url, body, headers = {}) =>
    fetch(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) })
        .then(async (r) => ({ status: r.status, text: await r.text() }));

// The record's URL with its secret segment swapped for `secret` (null: no secret segment).
function withSecret(url, callId, secret) {
    const m = new RegExp(`^(.*/${callId})/[^/]+/(control|listen)$`).exec(url);
    if (!m) return null;
    return secret === null ? `${m[1]}/${m[2]}` : `${m[1]}/${secret}/${m[2]}`;
}

test("control and listen without the call's secret: 404 and nothing happens; with the record's URLs: they work", async (t) => {
    const v = await voxa(t);
    const call = await createCall(v, localAssistant());  // no first message: silent until told
    const wsBase = v.base.replace(/^http/, "ws");
    const bareControl = `${v.base}/${call.id}/control`;
    const bareListen = `${wsBase}/${call.id}/listen`;

    const peer = await join(call);
    t.after(() => peer.close());
    await peer.waitFor((m) => m.type === "status-update" && m.status === "in-progress", 8000, "in-progress");
    await sleep(500);
    const quietBefore = peer.audibleFrames().length;

    // What anyone who saw the call id can build.
    const refused = async (url) => {
        const r = await post(url, { type: "say", content: SAY });
        assert.equal(r.status, 404, `POST ${url} -> ${r.status} ${r.text}`);
        const end = await post(url, { type: "end-call" });
        assert.equal(end.status, 404, `end-call: POST ${url} -> ${end.status} ${end.text}`);
        return r;
    };
    const bare = await refused(bareControl);
    assert.equal(await upgradeStatus(bareListen), 404, `listen upgrade of ${bareListen}`);
    assert.equal(await upgradeStatus(bareListen, { Authorization: `Bearer ${v.key}` }), 404, "a key does not replace the secret");

    // The record's URLs carry a secret.
    const secretOf = (url) => new RegExp(`/${call.id}/([^/]+)/(control|listen)$`).exec(url)?.[1];
    const secret = secretOf(call.monitor.controlUrl);
    assert.ok(secret && secret.length >= 22, `controlUrl carries a secret: ${call.monitor.controlUrl}`);
    assert.equal(secretOf(call.monitor.listenUrl), secret, `listenUrl carries it too: ${call.monitor.listenUrl}`);
    assert.deepEqual((await getCall(v, call.id)).monitor, call.monitor, "the record keeps the URLs");

    // Guessing: a wrong secret of the right form; the right secret with another call's id.
    const wrong = randomSecret(secret.length);
    const unknown = await post(call.monitor.controlUrl.replace(call.id, "00000000-0000-4000-8000-000000000000"),
                               { type: "say", content: SAY });
    assert.equal(unknown.status, 404);
    assert.equal(bare.text, unknown.text, "the bare URL is answered exactly as for a call that does not exist");
    const guessed = await refused(withSecret(call.monitor.controlUrl, call.id, wrong));
    assert.equal(guessed.text, unknown.text, "a wrong secret is answered exactly as for a call that does not exist");
    const wrongListen = withSecret(call.monitor.listenUrl, call.id, wrong);
    assert.equal(await upgradeStatus(wrongListen), 404, "listen with a wrong secret");
    assert.equal(await upgradeStatus(wrongListen, { Authorization: `Bearer ${v.key}` }), 404, "a key does not replace the secret");
    // Nothing happened: no speech, no transcript, the call goes on.
    await sleep(2000);
    assert.equal(peer.audibleFrames().length, quietBefore, "no assistant audio after refused control");
    assert.ok(!peer.messages.some((m) => m.type === "transcript" && m.role === "assistant"), "nothing was said");
    assert.equal(peer.closed, null, "the caller's socket is still open");
    assert.equal((await getCall(v, call.id)).status, "in-progress");

    // The record's URLs work.
    const listener = await openSocket(call.monitor.listenUrl);
    t.after(() => listener.close());
    const started = await listener.waitFor((m) => m.type === "listen-started", 5000, "listen-started");
    assert.equal(started.callId, call.id);
    const ok = await post(call.monitor.controlUrl, { type: "say", content: SAY });
    assert.equal(ok.status, 200, ok.text);
    await peer.waitFor((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === SAY, 10000, "the said text");
    assert.ok(peer.audibleFrames().length > quietBefore, "the caller hears the assistant");
    const deadline = Date.now() + 5000;
    while (listener.audibleFrames({ stereo: true }).length === 0 && Date.now() < deadline) await sleep(100);
    assert.ok(listener.audibleFrames({ stereo: true }).length > 0, "the listener hears the assistant channel");

    // The secret never reaches the server's log.
    assert.ok(v.output().includes(call.id), "the log names the call");
    assert.ok(!v.output().includes(secret), "the log does not carry the monitor secret");

    const end = await post(call.monitor.controlUrl, { type: "end-call" });
    assert.equal(end.status, 200);
    await peer.closedPromise;
});

test("monitorPlan authentication: the record's URL alone is refused, the org's private key is required as well", async (t) => {
    const v = await voxa(t);
    const call = await createCall(v, localAssistant({
        monitorPlan: { listenAuthenticationEnabled: true, controlAuthenticationEnabled: true } }));
    const peer = await join(call);
    t.after(() => peer.close());
    await peer.waitFor((m) => m.type === "status-update" && m.status === "in-progress", 8000, "in-progress");
    const auth = { Authorization: `Bearer ${v.key}` };
    assert.ok(withSecret(call.monitor.controlUrl, call.id, null), `controlUrl has a secret segment: ${call.monitor.controlUrl}`);

    assert.equal((await post(call.monitor.controlUrl, { type: "say", content: SAY })).status, 401);
    assert.equal((await post(call.monitor.controlUrl, { type: "say", content: SAY }, { Authorization: `Bearer ${v.publicKey}` })).status, 401,
                 "a public key is not enough");
    assert.notEqual(await upgradeStatus(call.monitor.listenUrl), 101, "listen without a key is refused");
    // The key does not stand in for the secret.
    assert.equal((await post(withSecret(call.monitor.controlUrl, call.id, null), { type: "say", content: SAY }, auth)).status, 404);
    assert.equal(await upgradeStatus(withSecret(call.monitor.listenUrl, call.id, null), auth), 404);
    await sleep(1000);
    assert.ok(!peer.messages.some((m) => m.type === "transcript" && m.role === "assistant"), "nothing was said");

    assert.equal(await upgradeStatus(call.monitor.listenUrl, auth), 101);
    const ok = await post(call.monitor.controlUrl, { type: "say", content: SAY }, auth);
    assert.equal(ok.status, 200, ok.text);
    await peer.waitFor((m) => m.type === "transcript" && m.role === "assistant" && m.transcript === SAY, 10000, "the said text");
    assert.equal((await post(call.monitor.controlUrl, { type: "end-call" }, auth)).status, 200);
    await peer.closedPromise;
});
