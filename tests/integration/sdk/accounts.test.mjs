// Dashboard accounts over HTTP (docs/dashboard.md): registration, sign-in, the session
// cookie, logout, the login limiter, password reset, forged tokens, roles on every route,
// API-key management by a signed-in owner, and the dashboard's static files.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { client, http, BASE_URL, KEY_A, uniq, minimalAssistant, assertErrorBody, messagesOf, sleep } from "./lib.mjs";

const PASSWORD = "correct horse 42";
const email = (tag = "u") => `${uniq(tag)}@example.com`;

/** A request with a session cookie (or none); returns status, body, headers and the new cookie. */
async function web(method, path, { cookie, json, raw, headers = {} } = {}) {
    const h = { ...headers };
    if (cookie) h.Cookie = cookie;
    let body = raw;
    if (json !== undefined) {
        body = JSON.stringify(json);
        h["Content-Type"] = "application/json";
    }
    const res = await fetch(BASE_URL + path, { method, headers: h, body, redirect: "manual" });
    const text = await res.text();
    let parsed;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
    const setCookie = res.headers.get("set-cookie") || "";
    const m = /^voxa_session=([^;]*)/.exec(setCookie);
    return { status: res.status, body: parsed, text, headers: res.headers, setCookie,
             cookie: m && m[1] ? `voxa_session=${m[1]}` : undefined, jwt: m ? m[1] : undefined };
}

async function register(extra = {}) {
    const r = await web("POST", "/auth/register", { json: { email: email(), password: PASSWORD, ...extra } });
    assert.equal(r.status, 201, r.text);
    assert.ok(r.cookie, "register sets the session cookie");
    return r;
}

/** Registers a second user into `owner`'s org with `role` through an invitation. */
async function invited(owner, role) {
    const addr = email(role);
    const inv = await web("POST", "/org/invitation", { cookie: owner.cookie, json: { email: addr, role } });
    assert.equal(inv.status, 201, inv.text);
    assert.match(inv.body.url, /\/invite\/\?token=/);
    const r = await web("POST", "/auth/register", { json: { email: addr, password: PASSWORD, inviteToken: inv.body.token } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.role, role);
    assert.equal(r.body.org.id, owner.body.org.id);
    return r;
}

describe("registration and sessions", () => {
    test("register → 201 with an HttpOnly session cookie; /auth/me and the SDK work with it", async () => {
        const r = await register({ name: "Ada", orgName: "Acme" });
        assert.match(r.setCookie, /HttpOnly/);
        assert.match(r.setCookie, /SameSite=Strict/);
        assert.match(r.setCookie, /Path=\//);
        assert.equal(r.body.role, "owner");
        assert.equal(r.body.org.name, "Acme");
        assert.equal(r.body.user.name, "Ada");
        assert.deepEqual(r.body.orgs.map((o) => o.role), ["owner"]);
        const me = await web("GET", "/auth/me", { cookie: r.cookie });
        assert.equal(me.status, 200);
        assert.equal(me.body.user.id, r.body.user.id);
        // The same session as a bearer token: the official SDK works on the user's org.
        const vapi = client(r.jwt);
        const a = await vapi.assistants.create(minimalAssistant());
        assert.equal(a.orgId, r.body.org.id);
        assert.equal((await vapi.assistants.list()).length, 1);
    });

    test("bad registrations get Vapi's error body and create nothing", async () => {
        const addr = email();
        const cases = [
            [{ email: addr, password: "short" }, 400, /at least 10 characters/],
            [{ email: addr, password: "onlyletterslong" }, 400, /a letter and a digit or symbol/],
            [{ email: "not-an-email", password: PASSWORD }, 400, /email must be an email/],
            [{ email: addr, password: PASSWORD, role: "owner" }, 400, /property role should not exist/],
            [{ email: 42, password: PASSWORD }, 400, /email must be a string/],
            [{ email: addr }, 400, /password should not be empty/],
        ];
        for (const [json, status, re] of cases) {
            const r = await web("POST", "/auth/register", { json });
            assert.equal(r.status, status, JSON.stringify(json));
            assertErrorBody(r.body, status, JSON.stringify(json));
            assert.ok(messagesOf(r.body).some((m) => re.test(m)), `${JSON.stringify(json)} → ${r.text}`);
        }
        const bad = await web("POST", "/auth/register", { raw: "{not json", headers: { "Content-Type": "application/json" } });
        assert.equal(bad.status, 400);
        assertErrorBody(bad.body, 400, "malformed JSON");
        // Nothing was created: the address is still free.
        await register({ email: addr });
        const dup = await web("POST", "/auth/register", { json: { email: addr.toUpperCase(), password: PASSWORD } });
        assert.equal(dup.status, 409);
        assert.equal(dup.body.message, "An account with this email already exists");
    });

    test("login, logout: the old cookie stops working at once", async () => {
        const r = await register();
        const wrong = await web("POST", "/auth/login", { json: { email: r.body.user.email, password: "wrong horse 42" } });
        assert.equal(wrong.status, 401);
        assert.equal(wrong.body.message, "Invalid email or password");
        const unknown = await web("POST", "/auth/login", { json: { email: email("nobody"), password: PASSWORD } });
        assert.equal(unknown.status, 401);
        assert.equal(unknown.body.message, "Invalid email or password");
        const ok = await web("POST", "/auth/login", { json: { email: r.body.user.email, password: PASSWORD } });
        assert.equal(ok.status, 200, ok.text);
        const out = await web("POST", "/auth/logout", { cookie: ok.cookie });
        assert.equal(out.status, 200);
        assert.match(out.setCookie, /Max-Age=0/);
        const after = await web("GET", "/auth/me", { cookie: ok.cookie });
        assert.equal(after.status, 401);
        assertErrorBody(after.body, 401, "after logout");
        assert.equal((await web("GET", "/auth/me", { cookie: r.cookie })).status, 200, "other sessions live on");
    });

    test("five wrong passwords slow that address down (429, Retry-After), then the right one works", async () => {
        const r = await register();
        for (let i = 0; i < 5; i++)
            assert.equal((await web("POST", "/auth/login", { json: { email: r.body.user.email, password: "wrong horse 42" } })).status, 401);
        const slowed = await web("POST", "/auth/login", { json: { email: r.body.user.email, password: PASSWORD } });
        assert.equal(slowed.status, 429);
        const wait = Number(slowed.headers.get("retry-after"));
        assert.ok(wait > 0 && wait <= 2, `Retry-After ${wait}`);
        assert.equal(slowed.body.statusCode, 429);
        assert.match(slowed.body.message, /Too many failed sign-in attempts/);
        await sleep(wait * 1000 + 50);
        const ok = await web("POST", "/auth/login", { json: { email: r.body.user.email, password: PASSWORD } });
        assert.equal(ok.status, 200, ok.text);
    });

    test("GET /auth/registration tells the dashboard who may sign up", async () => {
        const r = await web("GET", "/auth/registration");
        assert.equal(r.status, 200);
        assert.deepEqual(r.body, { registration: "open" });
    });

    test("forged, tampered and garbage session tokens → 401", async () => {
        const r = await register();
        const [h, p, s] = r.jwt.split(".");
        const claims = JSON.parse(Buffer.from(p, "base64url").toString());
        const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, org: "someone-else" })).toString("base64url")}.${s}`;
        const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${p}.`;
        for (const jwt of [tampered, none, `${h}.${p}.${"A".repeat(43)}`, "garbage"]) {
            const viaCookie = await web("GET", "/assistant", { cookie: `voxa_session=${jwt}` });
            assert.equal(viaCookie.status, 401, jwt);
            assertErrorBody(viaCookie.body, 401, "forged cookie");
            const viaBearer = await http("GET", "/assistant", { token: jwt });
            assert.equal(viaBearer.status, 401, jwt);
        }
    });
});

describe("password reset", () => {
    const logFile = process.env.VOXA_SERVER_LOG;

    async function resetTokenFor(addr) {
        for (let i = 0; i < 50; i++) {
            const log = readFileSync(logFile, "utf8");
            const at = log.lastIndexOf(`mail to ${addr} not sent`);
            if (at >= 0) return /reset-password\/\?token=([A-Za-z0-9_-]+)/.exec(log.slice(at))[1];
            await sleep(100);
        }
        assert.fail(`no reset mail for ${addr} in the server log`);
    }

    test("the one-time link from the log resets the password and ends every session", { skip: !logFile }, async () => {
        const r = await register();
        const addr = r.body.user.email;
        const unknown = await web("POST", "/auth/password-reset", { json: { email: email("nobody") } });
        const known = await web("POST", "/auth/password-reset", { json: { email: addr } });
        assert.equal(known.status, 202);
        assert.equal(unknown.status, 202);
        assert.deepEqual(known.body, unknown.body, "no hint whether the email exists");
        assert.equal(known.body.delivery, "log", "no --smtp-url: the answer says the link is in the log");
        const token = await resetTokenFor(addr);
        const weak = await web("POST", "/auth/password-reset/confirm", { json: { token, password: "weak" } });
        assert.equal(weak.status, 400);
        const ok = await web("POST", "/auth/password-reset/confirm", { json: { token, password: "new horse 4242" } });
        assert.equal(ok.status, 200, ok.text);
        assert.equal((await web("GET", "/auth/me", { cookie: r.cookie })).status, 401, "old session ended");
        const again = await web("POST", "/auth/password-reset/confirm", { json: { token, password: "newer horse 4242" } });
        assert.equal(again.status, 400);
        assert.equal(again.body.message, "Reset token is invalid or has expired");
        const forged = await web("POST", "/auth/password-reset/confirm", { json: { token: "x".repeat(43), password: "newer horse 4242" } });
        assert.equal(forged.status, 400);
        assert.equal((await web("POST", "/auth/login", { json: { email: addr, password: PASSWORD } })).status, 401);
        assert.equal((await web("POST", "/auth/login", { json: { email: addr, password: "new horse 4242" } })).status, 200);
    });
});

describe("roles", () => {
    test("a viewer reads but cannot create, change or delete anything", async () => {
        const owner = await register();
        const asst = await web("POST", "/assistant", { cookie: owner.cookie, json: minimalAssistant() });
        assert.equal(asst.status, 201, asst.text);
        const viewer = await invited(owner, "viewer");
        const list = await web("GET", "/assistant", { cookie: viewer.cookie });
        assert.equal(list.status, 200);
        assert.deepEqual(list.body.map((a) => a.id), [asst.body.id]);
        for (const [m, p, json] of [
            ["POST", "/assistant", minimalAssistant()],
            ["PATCH", `/assistant/${asst.body.id}`, { name: "renamed" }],
            ["DELETE", `/assistant/${asst.body.id}`],
            ["POST", "/tool", { type: "function", function: { name: "f" } }],
            ["POST", "/call/web", { assistantId: asst.body.id }],
            ["POST", "/token", { tag: "private" }],
            ["GET", "/token"],
            ["POST", "/org/invitation", { email: email(), role: "viewer" }],
        ]) {
            const r = await web(m, p, { cookie: viewer.cookie, json });
            assert.equal(r.status, 403, `${m} ${p}: ${r.text}`);
            assertErrorBody(r.body, 403, `${m} ${p}`);
            assert.equal(r.body.message, "Your role (viewer) cannot do this");
        }
        assert.equal((await web("GET", `/assistant/${asst.body.id}`, { cookie: owner.cookie })).body.name, asst.body.name, "unchanged");
        const members = await web("GET", "/org/member", { cookie: viewer.cookie });
        assert.equal(members.status, 200);
        assert.deepEqual(members.body.map((x) => x.role).sort(), ["owner", "viewer"]);
    });

    test("a member builds assistants but manages no keys or people; a demotion applies at once", async () => {
        const owner = await register();
        const member = await invited(owner, "member");
        const a = await web("POST", "/assistant", { cookie: member.cookie, json: minimalAssistant() });
        assert.equal(a.status, 201);
        assert.equal((await web("DELETE", `/assistant/${a.body.id}`, { cookie: member.cookie })).status, 200);
        assert.equal((await web("POST", "/token", { cookie: member.cookie, json: { tag: "private" } })).status, 403);
        assert.equal((await web("PATCH", `/org/${owner.body.org.id}`, { cookie: member.cookie, json: { name: "x" } })).status, 403);
        const demote = await web("PATCH", `/org/member/${member.body.user.id}`, { cookie: owner.cookie, json: { role: "viewer" } });
        assert.equal(demote.status, 200, demote.text);
        assert.equal((await web("POST", "/assistant", { cookie: member.cookie, json: minimalAssistant() })).status, 403);
        const lastOwner = await web("PATCH", `/org/member/${owner.body.user.id}`, { cookie: owner.cookie, json: { role: "admin" } });
        assert.equal(lastOwner.status, 400);
        assert.equal(lastOwner.body.message, "An organization needs at least one owner");
        const removed = await web("DELETE", `/org/member/${member.body.user.id}`, { cookie: owner.cookie });
        assert.equal(removed.status, 200);
        assert.equal((await web("GET", "/assistant", { cookie: member.cookie })).status, 401, "removed: the session ends");
    });

    test("an owner creates and revokes API keys; the value is shown once and works with the SDK", async () => {
        const owner = await register();
        const made = await web("POST", "/token", { cookie: owner.cookie, json: { tag: "private", name: "ci" } });
        assert.equal(made.status, 201, made.text);
        assert.ok(made.body.value, "the value is returned on creation");
        const one = await web("GET", `/token/${made.body.id}`, { cookie: owner.cookie });
        assert.equal(one.body.value, undefined, "and never again");
        const vapi = client(made.body.value);
        const a = await vapi.assistants.create(minimalAssistant());
        assert.equal(a.orgId, owner.body.org.id);
        const bad = await web("POST", "/token", { cookie: owner.cookie, json: { tag: "root" } });
        assert.equal(bad.status, 400);
        assert.equal((await web("DELETE", `/token/${made.body.id}`, { cookie: owner.cookie })).status, 200);
        await assert.rejects(vapi.assistants.list(), (e) => e.statusCode === 401);
    });

    test("a private API key acts as an admin: it may invite, but not an owner", async () => {
        const inv = await http("POST", "/org/invitation", { token: KEY_A, json: { email: email(), role: "admin" } });
        assert.equal(inv.status, 201, inv.text);
        const owner = await http("POST", "/org/invitation", { token: KEY_A, json: { email: email(), role: "owner" } });
        assert.equal(owner.status, 403);
        const list = await http("GET", "/org/invitation", { token: KEY_A });
        assert.ok(list.body.some((i) => i.id === inv.body.id && i.token === undefined));
        assert.equal((await http("DELETE", `/org/invitation/${inv.body.id}`, { token: KEY_A })).status, 200);
        assert.equal((await http("DELETE", `/org/invitation/${inv.body.id}`, { token: KEY_A })).status, 404);
    });
});

describe("the dashboard's files", () => {
    test("served at / beside the API, without leaving the web root", { skip: !process.env.VOXA_TEST_WEB_DIR }, async () => {
        const root = await web("GET", "/");
        assert.equal(root.status, 200);
        assert.match(root.headers.get("content-type"), /^text\/html/);
        assert.match(root.text, /voxa-test-index/);
        const dir = await web("GET", "/calls");
        assert.equal(dir.status, 308);
        assert.equal(dir.headers.get("location"), "/calls/");
        assert.match((await web("GET", "/calls/")).text, /voxa-test-calls/);
        const asset = await web("GET", "/_next/static/app.js", { headers: { "Accept-Encoding": "gzip, br" } });
        assert.equal(asset.status, 200);
        assert.match(asset.headers.get("content-type"), /javascript/);
        assert.match(asset.headers.get("cache-control"), /immutable/);
        assert.equal(asset.headers.get("content-encoding"), "gzip", "the gzip copy");
        assert.equal(asset.text.trim(), "console.log(1)");
        const plain = await web("GET", "/_next/static/app.js", { headers: { "Accept-Encoding": "identity" } });
        assert.equal(plain.headers.get("content-encoding"), null);
        assert.equal(plain.text.trim(), "console.log(1)");
        for (const p of ["/..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/.hidden", "/missing.js"]) {
            const r = await web("GET", p);
            assert.equal(r.status, 404, p);
            assertErrorBody(r.body, 404, p);
        }
        assert.equal((await web("GET", "/assistant")).status, 401, "API routes win");
    });
});
