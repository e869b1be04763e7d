// Finding 9 (#20): a password reset was an unauthenticated, unthrottled SMTP exchange on the
// database pool that call set-up also uses, with no connect timeout (and asio's blocking
// reads ignore SO_RCVTIMEO): an SMTP server that accepts and never answers held a database
// worker per reset mail, for ever, and a few resets for one email (from several addresses)
// stopped every API request.
//
// Here the SMTP server on loopback accepts and says nothing. Twenty resets for one account
// from twenty addresses: three are answered 202 (the per-email limit), the rest 429 in
// Vapi's error shape, none waits for SMTP; the answer for an unknown email is the same; and
// API requests and call set-up on the database pool answer promptly while SMTP hangs. The
// per-address limit (--auth-rate-limit) still applies to many emails from one address.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { createCall, localAssistant, postFrom, voxa } from "./lib.mjs";


/** Resolves with fn()'s value and how long it took; rejects after `ms`. */
async function within(ms, what, fn) {
    const t0 = Date.now();
    let timer;
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); });
    try {
        const value = await Promise.race([fn(), timeout]);
        return { value, ms: Date.now() - t0 };
    } finally {
        clearTimeout(timer);
    }
}

/** An SMTP server that accepts connections and never says a word. */
async function silentSmtp(t) {
    const sockets = new Set();
    let connections = 0;
    const server = createServer((s) => {
        connections++;
        sockets.add(s);
        s.on("error", () => {});
        s.on("close", () => sockets.delete(s));
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    t.after(() => {
        for (const s of sockets) s.destroy();
        return new Promise((r) => server.close(r));
    });
    return { port: server.address().port, connections: () => connections };
}

function assertVapiError(r, status, re) {
    assert.equal(r.status, status, r.text);
    assert.equal(r.json?.statusCode, status, r.text);
    assert.equal(typeof r.json?.error, "string", r.text);
    assert.ok([].concat(r.json.message).some((m) => re.test(m)), `${re} in ${r.text}`);
}

test("password reset: throttled per email and per address, never waits for SMTP, and a hanging SMTP server does not stop the API", async (t) => {
    const smtp = await silentSmtp(t);
    const v = await voxa(t, { args: ["--smtp-url", `smtp://127.0.0.1:${smtp.port}`] });
    const email = `ada-${Date.now()}@example.com`;
    const inv = await v.api("POST", "/org/invitation", { email, role: "member" });
    assert.equal(inv.status, 201, inv.text);
    const reg = await v.api("POST", "/auth/register", { email, password: "correct horse 4242", inviteToken: inv.json.token }, { token: null });
    assert.equal(reg.status, 201, reg.text);

    // Twenty resets for the account, each from an address of its own, all at once.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        postFrom(v.base, "/auth/password-reset", { email }, `127.0.0.${i + 2}`)));
    const accepted = answers.filter((r) => r.status === 202);
    const refused = answers.filter((r) => r.status === 429);
    t.diagnostic(`reset answers: ${accepted.length} x 202, ${refused.length} x 429; slowest ${Math.max(...answers.map((r) => r.ms))} ms`);
    assert.equal(accepted.length, 3, "three reset mails per email at once");
    assert.equal(refused.length, 17, answers.map((r) => r.status).join(","));
    for (const r of refused) {
        assertVapiError(r, 429, /Too many password-reset requests for this email/);
        assert.ok(Number(r.headers["retry-after"]) >= 1, "Retry-After");
    }
    for (const r of answers) assert.ok(r.ms < 2000, `a reset answer took ${r.ms} ms`);
    // The same answer whether or not the email has an account.
    const unknown = await postFrom(v.base, "/auth/password-reset", { email: `nobody-${Date.now()}@example.com` }, "127.0.0.30");
    assert.equal(unknown.status, 202, unknown.text);
    assert.equal(unknown.text, accepted[0].text);

    // SMTP is hanging now: the mailer is connected and waits for a greeting.
    const deadline = Date.now() + 3000;
    while (smtp.connections() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(smtp.connections() >= 1, "the mailer connected to the SMTP server");

    // The database pool still serves API requests and call set-up, promptly.
    const times = [];
    for (let i = 0; i < 5; i++) {
        const r = await within(3000, "GET /assistant", () => v.api("GET", "/assistant"));
        assert.equal(r.value.status, 200, r.value.text);
        times.push(r.ms);
        const a = await within(3000, "POST /assistant", () => v.api("POST", "/assistant", { name: `a${i}` }));
        assert.equal(a.value.status, 201, a.value.text);
        times.push(a.ms);
    }
    const call = await within(3000, "POST /call", () => createCall(v, localAssistant()));
    times.push(call.ms);
    assert.equal(call.value.status, "queued");
    const login = await within(3000, "POST /auth/login", () =>
        postFrom(v.base, "/auth/login", { email, password: "correct horse 4242" }, "127.0.0.40"));
    assert.equal(login.value.status, 200, login.value.text);
    times.push(login.ms);
    t.diagnostic(`API while SMTP hangs: slowest ${Math.max(...times)} ms of ${times.length} requests`);
    assert.ok(Math.max(...times) < 1500, `API requests took ${times.join(", ")} ms`);

    // The per-address limit (--auth-rate-limit, 30 a minute) still holds for many emails.
    const many = [];
    for (let i = 0; i < 35; i++)
        many.push(await postFrom(v.base, "/auth/password-reset", { email: `x${i}-${Date.now()}@example.com` }, "127.0.0.50"));
    assert.equal(many.filter((r) => r.status === 202).length, 30);
    assertVapiError(many.at(-1), 429, /Too many requests from this address/);
});
