// Accounts and roles (issue #11, findings 8, 10 and the lockout part of 11): who becomes the
// first owner of a fresh install, who may register at all, sign-up floods against the API's
// latency, a member borrowing an admin's credential, a viewer reading secrets, and sign-in
// failures that must not lock the owner out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { BIN, postFrom, receiver, request, sleep, voxa } from "./lib.mjs";

const run = promisify(execFile);
const PASSWORD = "correct horse 42";
let n = 0;
const email = (tag) => `${tag}-${process.pid}-${++n}@example.com`;

/** Vapi's error body: {message, error, statusCode}. */
function assertVapiError(r, status, re) {
    assert.equal(r.status, status, r.text);
    assert.equal(r.json?.statusCode, status, r.text);
    assert.equal(typeof r.json?.error, "string", r.text);
    const messages = [].concat(r.json.message);
    if (re) assert.ok(messages.some((m) => re.test(m)), `${re} in ${r.text}`);
}

const register = (v, body) => v.api("POST", "/auth/register", { password: PASSWORD, ...body }, { token: null });
const cookieOf = (r) => /^voxa_session=([^;]+)/.exec(r.headers.get("set-cookie") || "")?.[1];
const asUser = (v, jwt, method, path, body) => v.api(method, path, body, { token: jwt });

/** An invitation made with the org's private key, used to register: {jwt, body}. */
async function invited(v, role) {
    const addr = email(role);
    const inv = await v.api("POST", "/org/invitation", { email: addr, role });
    assert.equal(inv.status, 201, inv.text);
    const r = await register(v, { email: addr, inviteToken: inv.json.token });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.role, role);
    return { jwt: cookieOf(r), body: r.json };
}


function printed(v, re, what) {
    const m = re.exec(v.output());
    assert.ok(m, `voxa serve printed no ${what}:\n${v.output().slice(0, 2000)}`);
    return m[1];
}

test("fresh install: a stranger cannot take the printed org; the one-time setup link makes the owner", async (t) => {
    const v = await voxa(t, { org: false });
    const key = printed(v, /private API key:\s*(\S+)/, "private key");
    const orgId = (await v.api("GET", "/org", undefined, { token: key })).json[0].id;

    // The first stranger to register does not become the owner of the bootstrapped org.
    const stranger = await register(v, { email: email("stranger"), orgName: "Mine now" });
    assertVapiError(stranger, 403, /invitation/);
    const members = await v.api("GET", "/org/member", undefined, { token: key });
    assert.equal(members.status, 200, members.text);
    assert.deepEqual(members.json, [], "nobody joined the bootstrapped org");

    // The link voxa serve printed: one use, for that org, as its owner.
    const link = printed(v, /owner setup link[^:]*:\s*(\S+)/, "setup link");
    assert.match(link, new RegExp(`^${v.base}/register/\\?setup=[A-Za-z0-9_-]{40,}$`));
    const setupToken = new URL(link).searchParams.get("setup");
    const owner = await register(v, { email: email("owner"), orgName: "Acme", setupToken });
    assert.equal(owner.status, 201, owner.text);
    assert.equal(owner.json.role, "owner");
    assert.equal(owner.json.org.id, orgId, "the org whose keys were printed");
    assert.equal(owner.json.org.name, "Acme");
    const again = await register(v, { email: email("again"), setupToken });
    assertVapiError(again, 400, /Setup link is invalid, used or expired/);
    const forged = await register(v, { email: email("forged"), setupToken: "A".repeat(43) });
    assertVapiError(forged, 400, /Setup link/);

    // `voxa admin setup-link` prints a fresh one (while the server runs); the older stops working.
    const first = JSON.parse((await run(BIN, ["admin", "setup-link", "--data-dir", v.dataDir, "--public-url", v.base])).stdout);
    const second = JSON.parse((await run(BIN, ["admin", "setup-link", "--data-dir", v.dataDir, "--public-url", v.base])).stdout);
    assert.equal(second.orgId, orgId);
    const tokenOf = (l) => new URL(l.url).searchParams.get("setup");
    assertVapiError(await register(v, { email: email("stale"), setupToken: tokenOf(first) }), 400, /Setup link/);
    const coOwner = await register(v, { email: email("co-owner"), setupToken: tokenOf(second) });
    assert.equal(coOwner.status, 201, coOwner.text);
    assert.equal(coOwner.json.org.id, orgId);
    assert.equal((await asUser(v, cookieOf(owner), "GET", "/auth/registration")).json.registration, "invite");
});

test("--registration closed refuses every sign-up; open gives a stranger an org of their own", async (t) => {
    const closed = await voxa(t, { args: ["--registration", "closed"] });
    assertVapiError(await register(closed, { email: email("stranger") }), 403, /closed/);
    const addr = email("invitee");
    const inv = await closed.api("POST", "/org/invitation", { email: addr, role: "admin" });
    assert.equal(inv.status, 201, inv.text);
    assertVapiError(await register(closed, { email: addr, inviteToken: inv.json.token }), 403, /closed/);
    assert.deepEqual((await closed.api("GET", "/org/member")).json, []);

    const open = await voxa(t, { org: false, env: { VOXA_REGISTRATION: "open" } });
    const key = printed(open, /private API key:\s*(\S+)/, "private key");
    const bootstrapped = (await open.api("GET", "/org", undefined, { token: key })).json[0].id;
    const s = await register(open, { email: email("stranger"), orgName: "Stranger Inc" });
    assert.equal(s.status, 201, s.text);
    assert.equal(s.json.role, "owner");
    assert.notEqual(s.json.org.id, bootstrapped, "a new org, never the bootstrapped one");
    assert.equal(s.json.org.name, "Stranger Inc");
    assert.deepEqual((await open.api("GET", "/org/member", undefined, { token: key })).json, []);
    const theirs = await asUser(open, cookieOf(s), "GET", "/assistant");
    assert.equal(theirs.status, 200);
});

test("a sign-up flood gets 429s and does not slow the API down", async (t) => {
    // Open registration: every sign-up would hash a password (the expensive case).
    const v = await voxa(t, { env: { VOXA_REGISTRATION: "open" } });
    // Probes leave every 50 ms whether or not the previous one came back, so a stalled API
    // shows as many slow probes, not as one.
    const timings = [];
    const probes = [];
    const probe = async () => {
        const t0 = performance.now();
        const r = await v.api("GET", "/assistant");
        timings.push(performance.now() - t0);
        assert.equal(r.status, 200, r.text);
    };
    const ticker = setInterval(() => probes.push(probe()), 50);
    await sleep(100);
    const flood = await Promise.all(Array.from({ length: 60 }, (_, i) =>
        register(v, { email: email(`flood${i}`) })));
    clearInterval(ticker);
    await Promise.all(probes);
    const statuses = flood.map((r) => r.status);
    const count = (s) => statuses.filter((x) => x === s).length;
    timings.sort((a, b) => a - b);
    const median = timings[Math.floor(timings.length / 2)];
    t.diagnostic(`flood: ${count(201)} created, ${count(429)} refused with 429; GET /assistant median ${median.toFixed(1)} ms over ${timings.length} requests, max ${timings.at(-1).toFixed(1)} ms`);
    assert.ok(count(429) > 0, `the flood got 429s (${statuses.join(",")})`);
    for (const r of flood.filter((x) => x.status === 429)) {
        assertVapiError(r, 429);
        assert.ok(Number(r.headers.get("retry-after")) >= 1, "Retry-After");
    }
    assert.ok(statuses.every((s) => s === 201 || s === 429), statuses.join(","));
    assert.ok(timings.length >= 5, `${timings.length} probes`);
    assert.ok(median < 100, `API median ${median.toFixed(1)} ms during the flood`);
});

test("a member cannot send an admin's credential to their own URL; a viewer sees secrets masked", async (t) => {
    const v = await voxa(t);
    const rx = await receiver(t);        // the member's own URL
    const hook = await receiver(t);      // the admin's real webhook
    const token = "tok-admin-only-7f3a9c";
    const cred = await v.api("POST", "/credential", { provider: "webhook", name: "hooks",
                                                      authenticationPlan: { type: "bearer", token } });
    assert.equal(cred.status, 201, cred.text);
    const server = { url: `${hook.url}/hook`, credentialId: cred.json.id, secret: "shh-server-secret" };
    const adminAssistant = await v.api("POST", "/assistant", { name: "admin's", server });
    assert.equal(adminAssistant.status, 201, adminAssistant.text);
    const id = adminAssistant.json.id;

    const member = await invited(v, "member");
    const steal = { url: `${rx.url}/steal`, credentialId: cred.json.id };
    const attempts = [
        ["POST", "/assistant", { name: "mine", server: steal }],
        ["PATCH", `/assistant/${id}`, { server: { ...server, url: `${rx.url}/steal` } }],
        ["PATCH", `/assistant/${id}`, { server: steal }],
        ["POST", "/tool", { type: "function", function: { name: "f" }, server: steal }],
        ["POST", "/call", { assistant: { name: "inline", server: steal } }],
    ];
    for (const [m, p, body] of attempts) {
        const r = await asUser(v, member.jwt, m, p, body);
        assertVapiError(r, 403, /credential/);
    }
    // What a member may still do: edit around it, or drop the reference.
    const rename = await asUser(v, member.jwt, "PATCH", `/assistant/${id}`, { name: "renamed by member" });
    assert.equal(rename.status, 200, rename.text);
    const own = await asUser(v, member.jwt, "POST", "/assistant", { name: "own", server: { url: `${rx.url}/own`, secret: "member's" } });
    assert.equal(own.status, 201, own.text);

    const stored = await v.api("GET", `/assistant/${id}`);
    assert.equal(stored.json.server.url, `${hook.url}/hook`, "the admin's URL stays");
    assert.equal(stored.json.server.credentialId, cred.json.id);
    assert.equal(stored.json.server.secret, "shh-server-secret", "the admin (private key) reads it");
    await sleep(300);
    assert.ok(!rx.requests.some((r) => JSON.stringify(r.headers).includes(token)), "the member's URL never saw the token");

    // A viewer reads assistants, but not the secrets in them.
    const viewer = await invited(v, "viewer");
    const seen = await asUser(v, viewer.jwt, "GET", `/assistant/${id}`);
    assert.equal(seen.status, 200, seen.text);
    assert.equal(seen.json.server.url, `${hook.url}/hook`);
    assert.notEqual(seen.json.server.secret, "shh-server-secret");
    assert.equal(seen.json.server.secret, "********");
    const list = await asUser(v, viewer.jwt, "GET", "/assistant");
    assert.ok(!list.text.includes("shh-server-secret") && !list.text.includes("member's"), "masked in lists too");
    assert.equal((await asUser(v, member.jwt, "GET", `/assistant/${id}`)).json.server.secret, "shh-server-secret",
                 "members, who may edit it, read it");
});

test("failed sign-ins slow the guessing address down but never lock the owner out", async (t) => {
    const v = await voxa(t);
    const user = await invited(v, "admin");
    const addr = user.body.user.email;
    for (let i = 0; i < 6; i++) {
        const r = await postFrom(v.base, "/auth/login", { email: addr, password: `wrong horse ${i}` }, "127.0.0.1");
        assert.ok(r.status === 401 || r.status === 429, `${r.status} ${r.text}`);
    }
    // The owner, elsewhere, signs in at once with the right password.
    const elsewhere = await postFrom(v.base, "/auth/login", { email: addr, password: PASSWORD }, "127.0.0.2");
    assert.equal(elsewhere.status, 200, elsewhere.text);
    // The guessing address waits (Retry-After), then the right password works there too.
    const r = await postFrom(v.base, "/auth/login", { email: addr, password: PASSWORD }, "127.0.0.1");
    let wait = 0;
    if (r.status === 429) {
        assertVapiError(r, 429, /Too many failed sign-in attempts/);
        wait = Number(r.headers["retry-after"]);
        assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
        await sleep(wait * 1000 + 100);
    } else {
        assert.equal(r.status, 200, r.text);
    }
    const after = await postFrom(v.base, "/auth/login", { email: addr, password: PASSWORD }, "127.0.0.1");
    assert.equal(after.status, 200, after.text);
    // Guessing is still bounded: more failures from one address get 429 without a password check.
    let refused = 0;
    for (let i = 0; i < 8; i++) {
        const g = await postFrom(v.base, "/auth/login", { email: addr, password: `guess ${i} horse` }, "127.0.0.3");
        if (g.status === 429) refused++;
        else assert.equal(g.status, 401, g.text);
    }
    assert.ok(refused > 0, "an address guessing on gets 429");
});
