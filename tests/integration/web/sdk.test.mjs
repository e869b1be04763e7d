// The browser SDK (web/sdk, served at /sdk/) and the webCallUrl of POST /call/web.
//
// Browser: a "customer website" on another origin (a page server of the test's own) runs the
// @vapi-ai/web quickstart with only the import and the base URL changed, in headless Chromium
// whose fake microphone asks for an appointment; then the same page with the widget's one
// script tag, and the widget's button clicked. Both against the suite's Voxa, an assistant on
// the embedded engines (pocketsphinx, flite, the scripted model).
// API: a Voxa of the test's own (--join-timeout-seconds 2, --cors-origins naming one other
// site) for webCallUrl's secret, its single use and expiry, what a public key may do, and the
// SDK files' headers.
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import * as L from "./lib.mjs";

const run = promisify(execFile);
const SENTENCE = "hello I would like to book an appointment";
const GREETING = "Hello, this is the front desk.";
const REPLY = "Sure. Which day would you like to come in?";

// ---------------------------------------------------------------------------------------
// The customer's website: another origin than Voxa's.

function quickstartPage(voxa, publicKey, assistantId) {
    // Vapi's quickstart (README of @vapi-ai/web), the import and the base URL changed.
    return `<!doctype html><meta charset="utf-8"><title>quickstart</title>
<script type="module">
import Vapi from "${voxa}/sdk/voxa-web.js";

const vapi = new Vapi("${publicKey}", "${voxa}");

window.__events = [];
const log = (type, payload) => window.__events.push({ type, t: performance.now(), payload });
vapi.on("speech-start", () => log("speech-start"));
vapi.on("speech-end", () => log("speech-end"));
vapi.on("call-start", () => log("call-start"));
vapi.on("call-end", () => log("call-end"));
vapi.on("volume-level", (volume) => log("volume-level", volume));
vapi.on("message", (message) => log("message", message));
vapi.on("error", (e) => log("error", e));

window.vapi = vapi;
window.startCall = async () => {
  const call = await vapi.start("${assistantId}");
  return call && { id: call.id, type: call.type, webCallUrl: call.webCallUrl };
};
window.__ready = true;
</script>`;
}

function widgetPage(voxa, publicKey, assistantId) {
    return `<!doctype html><meta charset="utf-8"><title>widget</title>
<h1>A shop</h1>
<script src="${voxa}/sdk/widget.js" data-assistant-id="${assistantId}" data-public-key="${publicKey}" data-title="Call us"></script>
<script>
window.__events = [];
const vapi = window.voxaWidget.vapi;
for (const type of ["call-start", "call-end", "speech-start", "speech-end", "volume-level", "message", "error"])
  vapi.on(type, (payload) => window.__events.push({ type, t: performance.now(), payload }));
window.__ready = true;
</script>`;
}

async function site(pages) {
    const server = createServer((req, res) => {
        const path = new URL(req.url, "http://x").pathname;
        if (path === "/favicon.ico") {
            res.writeHead(204);
            return res.end();
        }
        const html = pages[path];
        if (!html) {
            res.writeHead(404);
            return res.end();
        }
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
        res.end(html);
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function localAssistant(name) {
    const a = await L.api("POST", "/assistant", {
        name,
        firstMessage: GREETING,
        transcriber: { provider: "local" },
        voice: { provider: "local", voiceId: "kal16" },
        model: { provider: "local", rules: [{ match: ["appointment", "book"], reply: REPLY }], fallback: REPLY },
    });
    assert.equal(a.status, 201, a.text);
    return a.json;
}

const events = (page, type) => page.evaluate((ty) => window.__events.filter((e) => e.type === ty), type);

/** Waits for a call's events: call-start, speech-start, the caller's final transcript, volume levels. */
async function heldCall(page, what) {
    await L.waitUntil(async () => (await events(page, "call-start")).length === 1, 15000, `${what}: call-start`);
    await L.waitUntil(async () => (await events(page, "speech-start")).length >= 1, 15000, `${what}: speech-start`);
    const heard = await L.waitUntil(async () => {
        const msgs = await events(page, "message");
        return msgs.find((m) => m.payload.type === "transcript" && m.payload.role === "user" &&
                                m.payload.transcriptType === "final" && /appointment|book/.test(m.payload.transcript));
    }, 25000, `${what}: the caller's final transcript as a message`);
    L.note(`${what}: heard "${heard.payload.transcript}"`);
    const levels = await events(page, "volume-level");
    assert.ok(levels.length >= 20, `${what}: volume-level events (${levels.length})`);
    assert.ok(levels.every((l) => typeof l.payload === "number" && l.payload >= 0 && l.payload <= 1), "levels are 0..1");
    assert.ok(levels.some((l) => l.payload > 0.1), `${what}: the greeting's level shows (max ${Math.max(...levels.map((l) => l.payload))})`);
}

let web;
before(async () => {
    web = { pages: {} };
    web.site = await site(web.pages);
});
after(async () => {
    await web?.site.close();
});

test("@vapi-ai/web's quickstart on another origin, importing /sdk/voxa-web.js: a whole call", async (t) => {
    const a = await localAssistant("sdk-quickstart");
    web.pages["/quickstart.html"] = quickstartPage(L.BASE_URL, L.PUBLIC_KEY, a.id);
    const mic = await L.micWav(SENTENCE, { leadS: 3, trailS: 8 });
    t.after(mic.cleanup);
    const b = await L.launch({ wav: mic.wav });
    t.after(b.close);
    await b.page.goto(web.site.url + "/quickstart.html");
    await L.waitUntil(() => b.page.evaluate(() => window.__ready === true), 10000, "the module loaded cross-origin");

    const call = await b.page.evaluate(() => window.startCall());
    assert.ok(call, `start() resolved to the call: ${JSON.stringify(await events(b.page, "error"))}`);
    assert.equal(call.type, "webCall");
    assert.match(call.webCallUrl, /^ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/transport\?token=[A-Za-z0-9_-]{32,}$/);
    await heldCall(b.page, "quickstart");
    assert.equal(await b.page.evaluate(() => window.vapi.isMuted()), false);
    await b.page.evaluate(() => window.vapi.setMuted(true));
    assert.equal(await b.page.evaluate(() => window.vapi.isMuted()), true);
    await L.waitUntil(async () => (await events(b.page, "speech-end")).length >= 1, 15000, "speech-end");

    await b.page.evaluate(() => window.vapi.stop());
    await L.waitUntil(async () => (await events(b.page, "call-end")).length === 1, 10000, "call-end");
    const msgs = (await events(b.page, "message")).map((m) => m.payload);
    assert.ok(msgs.some((m) => m.type === "status-update" && m.status === "ended"), "a status-update ended message");
    assert.deepEqual(await events(b.page, "error"), []);
    const rec = await L.waitUntil(async () => {
        const r = await L.api("GET", `/call/${call.id}`);
        return r.json?.status === "ended" ? r.json : null;
    }, 15000, "the call record ended");
    assert.equal(rec.type, "webCall");
    assert.equal(rec.endedReason, "customer-ended-call");
    assert.ok(rec.messages.some((m) => m.role === "user" && /appointment|book/.test(m.message)), "the record has the caller's words");
    assert.deepEqual(b.errors, []);
});

test("the widget: one script tag, a floating button, a call with a live visualizer", async (t) => {
    const a = await localAssistant("sdk-widget");
    web.pages["/widget.html"] = widgetPage(L.BASE_URL, L.PUBLIC_KEY, a.id);
    const mic = await L.micWav(SENTENCE, { leadS: 3, trailS: 8 });
    t.after(mic.cleanup);
    const b = await L.launch({ wav: mic.wav, contextOptions: { viewport: { width: 390, height: 844 } } });
    t.after(b.close);
    await b.page.goto(web.site.url + "/widget.html");
    await L.waitUntil(() => b.page.evaluate(() => window.__ready === true), 10000, "widget.js loaded cross-origin");
    const button = b.page.locator('[data-testid="widget-button"]');
    assert.equal((await button.innerText()).trim(), "Call us");
    const box = await button.boundingBox();
    assert.ok(box.x + box.width > 390 - 40 && box.y + box.height > 844 - 40, `floating at the bottom right: ${JSON.stringify(box)}`);
    await button.click();

    // The visualizer's canvas shows both voices while the call runs.
    const viz = b.page.locator('[data-testid="widget-visualizer"]');
    const peaks = { input: 0, output: 0 };
    const sample = async () => {
        const d = await viz.evaluate((c) => ({ input: Number(c.dataset.input || 0), output: Number(c.dataset.output || 0) }));
        peaks.input = Math.max(peaks.input, d.input);
        peaks.output = Math.max(peaks.output, d.output);
    };
    const sampler = setInterval(() => void sample().catch(() => {}), 100);
    t.after(() => clearInterval(sampler));
    await heldCall(b.page, "widget");
    const callId = await b.page.evaluate(() => window.voxaWidget.vapi.callId);
    assert.match(callId || "", /^[0-9a-f-]{36}$/);
    assert.equal((await b.page.locator('[data-testid="widget-status"]').innerText()).trim(), "Connected");
    await L.screenshot(b.page, "sdk-widget-390x844", { fullPage: false });
    await L.waitUntil(() => peaks.input > 0.05 && peaks.output > 0.05, 10000, `the visualizer's bars moved (${JSON.stringify(peaks)})`);
    clearInterval(sampler);
    L.note(`widget visualizer peaks ${JSON.stringify(peaks)}`);

    assert.equal((await button.innerText()).trim(), "End call");
    await button.click();
    await L.waitUntil(async () => (await events(b.page, "call-end")).length === 1, 10000, "call-end");
    assert.equal((await b.page.locator('[data-testid="widget-status"]').innerText()).trim(), "Call ended");
    assert.equal((await button.innerText()).trim(), "Call us");
    assert.deepEqual(await events(b.page, "error"), []);
    const rec = await L.waitUntil(async () => {
        const r = await L.api("GET", `/call/${callId}`);
        return r.json?.status === "ended" ? r.json : null;
    }, 15000, "the widget's call record ended");
    assert.equal(rec.type, "webCall");
    assert.equal(rec.endedReason, "customer-ended-call");
    assert.deepEqual(b.errors, []);
});

// ---------------------------------------------------------------------------------------
// webCallUrl and public keys, on a Voxa of the test's own.

async function freePort() {
    const s = createNetServer();
    await new Promise((r) => s.listen(0, "127.0.0.1", r));
    const port = s.address().port;
    await new Promise((r) => s.close(r));
    return port;
}

/** An HTTP upgrade to a ws:// URL: {status} (101 = joined; the socket is kept in `socket`). */
function upgrade(wsUrl, headers = {}) {
    const u = new URL(wsUrl.replace(/^ws/, "http"));
    return new Promise((resolve, reject) => {
        const req = request({
            host: u.hostname, port: u.port, path: u.pathname + u.search, method: "GET",
            headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13",
                       "Sec-WebSocket-Key": Buffer.from("0123456789abcdef").toString("base64"), ...headers },
        });
        req.on("upgrade", (res, socket) => resolve({ status: res.statusCode, socket }));
        req.on("response", (res) => {
            res.resume();
            resolve({ status: res.statusCode });
        });
        req.on("error", reject);
        req.end();
    });
}

let own;
async function ownVoxa() {
    if (own) return own;
    const bin = process.env.VOXA_BIN || join(L.ROOT, "build/voxa");
    const webDir = process.env.VOXA_WEB_DIR || join(L.ROOT, "web/out");
    const dir = mkdtempSync(join(tmpdir(), "voxa-sdk-api-"));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = spawn(bin, ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", join(dir, "data"), "--web-dir", webDir,
                             "--join-timeout-seconds", "2", "--cors-origins", "https://app.example", "--log-level", "warn"],
                       { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    proc.stderr.on("data", (d) => { log = (log + d).slice(-20000); });
    await L.waitUntil(async () => {
        if (proc.exitCode !== null) throw new Error(`voxa exited: ${log}`);
        return fetch(base + "/health").then((r) => r.ok, () => false);
    }, 20000, "the test's own voxa to start");
    const org = async (name) => JSON.parse((await run(bin, ["admin", "create-org", "--data-dir", join(dir, "data"), "--name", name])).stdout);
    own = { base, a: await org("org-a"), b: await org("org-b"),
            close: async () => {
                proc.kill("SIGTERM");
                await new Promise((r) => (proc.exitCode !== null ? r() : proc.on("exit", r)));
                rmSync(dir, { recursive: true, force: true });
            } };
    return own;
}
after(async () => {
    await own?.close();
});

async function req(v, method, path, body, key, headers = {}) {
    const h = { ...headers };
    if (key) h.Authorization = `Bearer ${key}`;
    if (body !== undefined) h["Content-Type"] = "application/json";
    const r = await fetch(v.base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json;
    try { json = JSON.parse(text); } catch {}
    return { status: r.status, json, text, headers: r.headers };
}

const LOCAL = { transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "kal16" }, model: { provider: "local", fallback: "Hi." } };

test("webCallUrl: a public key gets it; the URL's secret is required, works once, expires with the join timeout", async () => {
    const v = await ownVoxa();
    const asst = await req(v, "POST", "/assistant", { name: "web", ...LOCAL }, v.a.privateKey);
    assert.equal(asst.status, 201, asst.text);
    const create = () => req(v, "POST", "/call/web", { assistantId: asst.json.id }, v.a.publicKey, { Origin: "https://shop.example" });

    const c1 = await create();
    assert.equal(c1.status, 201, c1.text);
    assert.equal(c1.headers.get("access-control-allow-origin"), "*", "any website may create web calls (with --cors-origins naming another)");
    assert.equal(c1.json.type, "webCall");
    const url = new URL(c1.json.webCallUrl);
    assert.equal(url.protocol, "ws:");
    assert.equal(url.pathname, `/${c1.json.id}/transport`);
    const token = url.searchParams.get("token");
    assert.ok(token && token.length >= 32, `a secret of 192 bits: ${token}`);

    // Without the secret, with a wrong one, or another call's: refused, like an unknown call.
    assert.equal((await upgrade(`${url.origin}${url.pathname}`)).status, 404, "no secret");
    assert.equal((await upgrade(`${url.origin}${url.pathname}?token=${"x".repeat(token.length)}`)).status, 404, "wrong secret");
    assert.equal((await upgrade(`${url.origin}${url.pathname}?token=${token.slice(0, -1)}`)).status, 404, "a secret cut short");
    assert.equal((await upgrade(c1.json.webCallUrl, { Authorization: `Bearer ${v.a.publicKey}` }).then((r) => (r.socket?.destroy(), r.status)) === 101), true,
                 "the right secret joins (a public key beside it changes nothing)");
    assert.equal((await upgrade(c1.json.webCallUrl)).status, 404, "a second join with the same URL is refused");
    const c2 = await create();
    assert.equal((await upgrade(`${url.origin}/${c2.json.id}/transport?token=${token}`)).status, 404, "one call's secret does not open another");

    // Expired: nobody joined within --join-timeout-seconds (2): the call ended, its URL is dead.
    await L.sleep(3500);
    assert.equal((await upgrade(c2.json.webCallUrl)).status, 404, "an expired webCallUrl is refused");
    const rec = await req(v, "GET", `/call/${c2.json.id}`, undefined, v.a.privateKey);
    assert.equal(rec.json.status, "ended");
    assert.equal(rec.json.endedReason, "call.in-progress.error-providerfault-transport-never-connected");
});

test("a public key: web calls of its own org's assistants only, no phone calls, nothing else", async () => {
    const v = await ownVoxa();
    const theirs = await req(v, "POST", "/assistant", { name: "b's", ...LOCAL }, v.b.privateKey);
    assert.equal(theirs.status, 201, theirs.text);
    const other = await req(v, "POST", "/call/web", { assistantId: theirs.json.id }, v.a.publicKey);
    assert.ok(other.status === 400 || other.status === 404, `another org's assistant is refused (${other.status} ${other.text})`);
    assert.equal(other.json?.webCallUrl, undefined);
    const bCalls = await req(v, "GET", "/call", undefined, v.b.privateKey);
    assert.deepEqual(bCalls.json, [], "no call was made in the other org");

    // POST /call/web takes CreateWebCallDTO: no phone number, no customer to dial.
    const dial = await req(v, "POST", "/call/web", { assistant: LOCAL, phoneNumberId: "00000000-0000-4000-8000-000000000000",
                                                     customer: { number: "+15550100" } }, v.a.publicKey);
    assert.equal(dial.status, 400, dial.text);
    assert.deepEqual(dial.json.message, ["property phoneNumberId should not exist", "property customer should not exist"]);

    // A public key reads and controls nothing.
    const mine = await req(v, "POST", "/call/web", { assistant: LOCAL, roomDeleteOnUserLeaveEnabled: true }, v.a.publicKey);
    assert.equal(mine.status, 201, mine.text);
    for (const [method, path, body] of [["GET", `/call/${mine.json.id}`], ["GET", "/call"], ["POST", "/call", { assistant: LOCAL }],
                                        ["DELETE", `/call/${mine.json.id}`], ["GET", "/assistant"]]) {
        const r = await req(v, method, path, body, v.a.publicKey);
        assert.equal(r.status, 401, `${method} ${path} with a public key: ${r.status}`);
    }
    // The dashboard's cookie never rides along cross-origin: /call/web grants "*" without credentials.
    const pre = await fetch(v.base + "/call/web", { method: "OPTIONS", headers: { Origin: "https://shop.example",
        "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type" } });
    assert.equal(pre.headers.get("access-control-allow-origin"), "*");
    assert.equal(pre.headers.get("access-control-allow-credentials"), null);
    const api = await fetch(v.base + "/assistant", { method: "OPTIONS", headers: { Origin: "https://shop.example", "Access-Control-Request-Method": "GET" } });
    assert.equal(api.headers.get("access-control-allow-origin"), null, "the rest of the API keeps --cors-origins");
});

test("/sdk/*: the SDK's files with their content type, short caching and CORS for every website", async () => {
    const v = await ownVoxa();
    for (const f of ["voxa-web.js", "voxa-web.umd.js", "widget.js", "capture-worklet.js", "playback-worklet.js"]) {
        const r = await fetch(`${v.base}/sdk/${f}`, { headers: { Origin: "https://shop.example", "Accept-Encoding": "gzip" } });
        assert.equal(r.status, 200, f);
        assert.equal(r.headers.get("content-type"), "text/javascript; charset=utf-8", f);
        assert.equal(r.headers.get("access-control-allow-origin"), "*", f);
        assert.equal(r.headers.get("cache-control"), "public, max-age=600", f);
        assert.equal(r.headers.get("cross-origin-resource-policy"), "cross-origin", f);
        const body = await r.text();
        assert.ok(body.length > 500, `${f}: ${body.length} bytes`);
    }
    const esm = await (await fetch(`${v.base}/sdk/voxa-web.js`)).text();
    assert.match(esm, /export\s*\{[^}]*as default/, "an ES module with a default export");
    const sizes = await (await fetch(`${v.base}/sdk/sizes.json`)).json();
    L.note(`sdk sizes (min / gzip): ${Object.entries(sizes).map(([f, s]) => `${f} ${s.min}/${s.gzip}`).join(", ")}`);
    assert.ok(sizes["voxa-web.js"].gzip < 12000, "the SDK stays small");
    // The UMD bundle defines window.Vapi with the same API.
    const b = await L.launch({});
    try {
        await b.page.goto(`${v.base}/sdk/sizes.json`);
        await b.page.addScriptTag({ url: `${v.base}/sdk/voxa-web.umd.js` });
        const api = await b.page.evaluate(() => {
            const vapi = new window.Vapi("k", "http://127.0.0.1:9");
            return ["start", "stop", "send", "say", "setMuted", "isMuted", "on", "once", "removeListener", "end"]
                .filter((m) => typeof vapi[m] !== "function");
        });
        assert.deepEqual(api, [], "every @vapi-ai/web method is there");
    } finally {
        await b.close();
    }
});

test("#15 bug 9: the sign-in page of a fresh install says how to get in, not 'Welcome back' and a sign-up that is closed", async (t) => {
    const v = await ownVoxa();  // default --registration invite, no user yet
    const b = await L.launch({});
    t.after(b.close);
    await b.page.goto(v.base + "/login/");
    const footer = b.page.locator('[data-testid="login-no-account"]');
    await footer.waitFor({ timeout: 10000 });
    const text = await footer.innerText();
    assert.match(text, /invitation/, text);
    assert.match(text, /setup link/, text);
    const page = await b.page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(page, /Welcome back/);
    assert.equal(await b.page.getByRole("link", { name: "Create one" }).count(), 0, "no sign-up link where sign-up is by invitation");
    // Where anyone may sign up (this suite's main server runs --registration open), the link is there.
    await b.page.goto(L.BASE_URL + "/login/");
    await b.page.getByRole("link", { name: "Create one" }).waitFor({ timeout: 10000 });
});
