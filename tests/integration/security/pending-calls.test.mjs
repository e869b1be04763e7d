// Finding 5 (#11): calls created and never connected lived forever, and an org's
// concurrencyLimit was not enforced (300 pending, then 200 live calls with a limit of 10).
// Now a call nobody joins within the join timeout ends with
// call.in-progress.error-providerfault-transport-never-connected (record, server messages,
// end-of-call-report, memory), and one call over the org's limit gets Vapi's 400
// "Over Concurrency Limit" with subscriptionLimits.concurrencyBlocked (an inbound Twilio
// call gets <Reject reason="busy"/>).
//
// The join timeout is set through VOXA_JOIN_TIMEOUT_SECONDS (the --join-timeout-seconds
// flag's variable), so a server without it starts and shows the old behaviour.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { receiver, sleep, voxa, waitUntil } from "./lib.mjs";
import { createCall, getCall, join, localAssistant, postCall, waitAllEnded } from "./calls.mjs";

const NEVER_CONNECTED = "call.in-progress.error-providerfault-transport-never-connected";

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);

test("a call nobody joins ends after the join timeout, with its record, status-update and end-of-call-report", async (t) => {
    const hooks = await receiver(t);
    const v = await voxa(t, { env: { VOXA_JOIN_TIMEOUT_SECONDS: "2" } });
    const created = Date.now();
    const call = await createCall(v, localAssistant({ server: { url: hooks.url } }));
    assert.equal(call.status, "queued");
    const joined = await createCall(v, localAssistant());  // this one is joined in time
    const peer = await join(joined);
    t.after(() => peer.close());

    const [rec] = await waitAllEnded(v, [call.id], 8000);
    const took = Date.now() - created;
    assert.ok(took >= 1500, `ended after ${took} ms, not before the timeout`);
    assert.equal(rec.endedReason, NEVER_CONNECTED);
    assert.ok(rec.endedAt, "endedAt is set");
    assert.equal(rec.startedAt, undefined, "it never started");
    assert.equal((await getCall(v, joined.id)).status, "in-progress", "a joined call is not touched");

    const messages = () => hooks.requests.map((r) => JSON.parse(r.body).message).filter((m) => m.call?.id === call.id);
    const report = await waitUntil(() => messages().find((m) => m.type === "end-of-call-report"), 8000, "end-of-call-report");
    assert.equal(report.endedReason, NEVER_CONNECTED);
    assert.equal(report.call.id, call.id);
    const ended = messages().find((m) => m.type === "status-update" && m.status === "ended");
    assert.ok(ended, "status-update ended was sent");
    assert.equal(ended.endedReason, NEVER_CONNECTED);

    // Too late: the transport URL no longer joins.
    await assert.rejects(join(call), /refused|did not open/);
    peer.close();
});

test("concurrencyLimit: the 11th call is refused with Vapi's error; joined calls count; expired calls free their slots; 20 at once accept exactly what is free", async (t) => {
    const v = await voxa(t, { env: { VOXA_JOIN_TIMEOUT_SECONDS: "3" } });
    const org = await v.api("PATCH", `/org/${v.orgId}`, { concurrencyLimit: 10 });
    assert.equal(org.status, 200, org.text);

    const first = [];
    for (let i = 0; i < 10; i++) {
        const r = await postCall(v, localAssistant());
        assert.equal(r.status, 201, `call ${i + 1}: ${r.text}`);
        first.push(r.json);
    }
    const live = await join(first[0]);  // in progress: keeps its slot past the join timeout
    t.after(() => live.close());

    const over = await postCall(v, localAssistant());
    assert.equal(over.status, 400, `the 11th call: ${over.status} ${over.text}`);
    first.forEach((c, i) => assert.deepEqual(c.subscriptionLimits,
        { concurrencyBlocked: false, concurrencyLimit: 10, remainingConcurrentCalls: 10 - i }, `call ${i + 1}`));
    assert.equal(over.json.message, "Over Concurrency Limit");
    assert.equal(over.json.statusCode, 400);
    assert.deepEqual(over.json.subscriptionLimits, { concurrencyBlocked: true, concurrencyLimit: 10, remainingConcurrentCalls: 0 });
    const web = await postCall(v, localAssistant(), { path: "/call/web", token: v.publicKey });
    assert.equal(web.status, 400, `web calls count too: ${web.text}`);
    const calls = await v.api("GET", "/call?limit=1000");
    assert.equal(calls.json.length, 10, "refused calls leave no record");

    // The nine that nobody joined expire; the joined one keeps its slot.
    const expired = await waitAllEnded(v, first.slice(1).map((c) => c.id), 10000);
    assert.ok(expired.every((r) => r.endedReason === NEVER_CONNECTED));
    assert.equal((await getCall(v, first[0].id)).status, "in-progress");

    const burst = async () => {
        const answers = await Promise.all(Array.from({ length: 20 }, () => postCall(v, localAssistant())));
        for (const a of answers) assert.ok(a.status === 201 || (a.status === 400 && a.json.subscriptionLimits?.concurrencyBlocked), a.text);
        return answers.filter((a) => a.status === 201).map((a) => a.json);
    };
    const second = await burst();
    assert.equal(second.length, 9, "20 at once with 9 free slots: exactly 9 accepted");

    // The joined call hangs up and the nine expire: all ten slots are free again.
    live.close();
    await waitAllEnded(v, [first[0].id, ...second.map((c) => c.id)], 10000);
    const third = await burst();
    assert.equal(third.length, 10, "20 at once with 10 free slots: exactly 10 accepted");
});

test("concurrencyLimit: an inbound Twilio call over the limit is refused as busy", async (t) => {
    const v = await voxa(t, { env: { VOXA_JOIN_TIMEOUT_SECONDS: "30" } });
    assert.equal((await v.api("PATCH", `/org/${v.orgId}`, { concurrencyLimit: 1 })).status, 200);
    const authToken = "twilio-auth-token-sec";
    const assistant = await v.api("POST", "/assistant", localAssistant({ firstMessage: "Hello." }));
    assert.equal(assistant.status, 201, assistant.text);
    const number = "+1557" + String(Date.now()).slice(-7);
    const pn = await v.api("POST", "/phone-number", { provider: "twilio", number, twilioAccountSid: "AC" + "4".repeat(32),
                                                      twilioAuthToken: authToken, assistantId: assistant.json.id });
    assert.equal(pn.status, 201, pn.text);
    // Twilio's voice webhook for a call to `number`, signed as Twilio signs it.
    const ring = async () => {
        const form = { AccountSid: "AC" + randomBytes(16).toString("hex"), CallSid: "CA" + randomBytes(16).toString("hex"),
                       CallStatus: "ringing", Direction: "inbound", ApiVersion: "2010-04-01", From: "+15557654321", To: number };
        const url = `${v.base}/twilio/inbound_call`;
        const data = url + Object.keys(form).sort().map((k) => k + form[k]).join("");
        const res = await fetch(url, { method: "POST", body: new URLSearchParams(form), headers: {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": createHmac("sha1", authToken).update(data).digest("base64") } });
        return { status: res.status, twiml: await res.text() };
    };

    const held = await createCall(v, localAssistant());  // the org's one slot, pending
    const refused = await ring();
    assert.equal(refused.status, 200);
    assert.match(refused.twiml, /<Reject reason="busy"\/>/, refused.twiml);
    assert.doesNotMatch(refused.twiml, /<Stream/);

    const peer = await join(held);
    peer.close();  // the held call ends: its slot is free again
    await waitAllEnded(v, [held.id], 8000);
    const answered = await ring();
    assert.match(answered.twiml, /<Connect><Stream/, answered.twiml);
});

test("hundreds of created-and-expired calls: their slots come back and memory does not keep growing", async (t) => {
    const v = await voxa(t, { env: { VOXA_JOIN_TIMEOUT_SECONDS: "1" } });
    // 300 slots: each round of 300 calls can only be created once the previous round's
    // calls have all expired and given their slots back.
    const org = await v.api("PATCH", `/org/${v.orgId}`, { concurrencyLimit: 300 });
    assert.equal(org.status, 200, org.text);
    // A sizeable assistant, so that calls kept in memory would show.
    const assistant = localAssistant({ model: { provider: "local", rules: [],
                                                messages: [{ role: "system", content: "x".repeat(30000) }] } });
    const round = async (n) => {
        const ids = [];
        // The previous round's last calls may still be writing their records: a refusal is
        // retried for a few seconds.
        const create = async () => {
            const deadline = Date.now() + 5000;
            for (;;) {
                const r = await postCall(v, assistant);
                if (r.status !== 400 || !r.json?.subscriptionLimits?.concurrencyBlocked || Date.now() > deadline) return r;
                await sleep(200);
            }
        };
        for (let i = 0; i < 300; i += 20) {
            const batch = await Promise.all(Array.from({ length: 20 }, create));
            for (const b of batch) {
                assert.equal(b.status, 201, `round ${n}, call ${ids.length + 1}: ${b.text}`);
                ids.push(b.json.id);
            }
        }
        // The last ones created are the last to expire (GET /call/{id} for a sample keeps
        // the test's own reads small next to what it measures).
        const sample = await waitAllEnded(v, ids.slice(-10), 15000);
        assert.ok(sample.every((r) => r.endedReason === NEVER_CONNECTED));
        await sleep(1500);
        return rssKb(v.proc.pid);
    };
    const after1 = await round(1);
    const after2 = await round(2);
    const after3 = await round(3);
    t.diagnostic(`RSS after 300/600/900 expired calls: ${after1} / ${after2} / ${after3} KiB`);
    assert.ok(after3 - after1 < 40 * 1024, `RSS grew by ${after3 - after1} KiB over 600 more expired calls`);
});
