// Finding 2, server-side request forgery: URLs from org configuration (tools, apiRequest,
// server.url webhooks, custom-llm model URLs) must not reach loopback, private or link-local
// addresses, however they are spelled, and a refused destination answers with one error text
// that does not tell an open port from a closed one. A loopback receiver stands in for an
// internal service; the servers here run with the default policy (egressLoopback: false)
// unless the test opens loopback with --egress-allow.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { test } from "node:test";
import { BIN, freePort, receiver, sleep, voxa, waitUntil } from "./lib.mjs";

const run = promisify(execFile);

const REFUSED = "egress: destination not allowed by the egress policy";
const SECRET = "internal-secret-" + randomBytes(6).toString("hex");

// The internal service: whatever it is asked, it answers with something the caller must
// never see (shaped as a chat completion, so a model URL would speak it).
const completion = JSON.stringify({
    id: "chatcmpl-internal", object: "chat.completion", created: 1, model: "internal",
    choices: [{ index: 0, message: { role: "assistant", content: `The secret is ${SECRET}.` }, finish_reason: "stop" }],
    secret: SECRET,
});
function internalService(t) {
    return receiver(t, (req, body, res) => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(completion);
    });
}

// The same service on ::1, when this machine has IPv6 loopback (null otherwise).
async function internalServiceV6(t) {
    const requests = [];
    const server = createServer((req, res) => {
        requests.push({ method: req.method, url: req.url });
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(completion);
    });
    const ok = await new Promise((r) => {
        server.once("error", () => r(false));
        server.listen(0, "::1", () => r(true));
    });
    if (!ok) return null;
    t.after(() => new Promise((r) => server.close(r)));
    return { port: server.address().port, requests };
}

// Every spelling of "this machine" that a resolver accepts, plus private and link-local
// addresses (no listener needed: nothing may be sent there at all).
function corpus(port, closedPort, v6) {
    const urls = [
        `http://127.0.0.1:${port}/`,
        `http://localhost:${port}/`,
        `http://2130706433:${port}/`,       // decimal
        `http://0x7f000001:${port}/`,       // hex
        `http://0x7f.1:${port}/`,           // inet_aton short forms
        `http://127.1:${port}/`,
        `http://[::ffff:127.0.0.1]:${port}/`,  // IPv4-mapped IPv6
        `http://0.0.0.0:${port}/`,          // "this host": Linux connects it to loopback
        `http://127.0.0.1:${closedPort}/`,  // nothing listens: the same answer
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.0.1/",
        "http://100.64.0.1/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
    ];
    if (v6) urls.push(`http://[::1]:${v6.port}/`);
    return urls;
}

async function closedPort() {
    return freePort();  // freed at once: connecting there is refused
}

// A web or websocket call's client: text messages collected, silence streamed like a
// microphone, JSON control messages sent over the socket.
async function joinCall(t, call) {
    const ws = new WebSocket(call.transport.websocketCallUrl);
    const texts = [];
    ws.addEventListener("message", (ev) => { if (typeof ev.data === "string") texts.push(ev.data); });
    await new Promise((resolve, reject) => {
        ws.addEventListener("open", resolve, { once: true });
        ws.addEventListener("error", () => reject(new Error("websocket refused")), { once: true });
    });
    const silence = Buffer.alloc(640);
    const timer = setInterval(() => ws.readyState === 1 && ws.send(silence), 20);
    const closed = new Promise((r) => ws.addEventListener("close", r));
    const client = {
        texts,
        messages: () => texts.map((s) => { try { return JSON.parse(s); } catch { return {}; } }),
        say: (content) => ws.send(JSON.stringify({ type: "add-message", message: { role: "user", content } })),
        close: async () => {
            clearInterval(timer);
            if (ws.readyState === 1) ws.close();
            await Promise.race([closed, sleep(2000)]);
        },
    };
    t.after(() => client.close());
    return client;
}

const transport = { provider: "vapi.websocket", audioFormat: { format: "pcm_s16le", container: "raw", sampleRate: 16000 } };
const local = { transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "slt" } };

/** GET /logs?callId=... once `n` logs of `type` are there (or the time is up). */
async function logsOf(v, callId, type, n, timeoutMs = 15000) {
    let logs = [];
    await waitUntil(async () => {
        const r = await v.api("GET", `/logs?callId=${callId}&webhookType=${type}&limit=100`);
        assert.equal(r.status, 200, r.text);
        logs = r.json.results;
        return logs.length >= n;
    }, timeoutMs, `${n} ${type} logs`).catch(() => {});
    return logs;
}

test("SSRF (public key): an inline assistant on POST /call/web cannot make Voxa fetch from loopback", async (t) => {
    const internal = await internalService(t);
    const v = await voxa(t, { egressLoopback: false });

    // (1) The model URL: a custom-llm at the internal service.
    const llmCall = await v.api("POST", "/call/web", {
        assistant: { ...local, firstMessage: "", model: { provider: "custom-llm", url: internal.url, model: "m" } },
        transport,
    }, { token: v.publicKey });
    assert.equal(llmCall.status, 201, llmCall.text);
    const a = await joinCall(t, llmCall.json);
    a.say("hello there");
    // The model turn fails, and the call ends with the model's error.
    await waitUntil(() => a.messages().some((m) => m.type === "status-update" && m.status === "ended"), 15000,
                    "the call to end on the refused model URL").catch(() => {});

    // (2) An apiRequest tool at the internal service, spoken back with its result.
    const toolCall = await v.api("POST", "/call/web", {
        assistant: {
            ...local, firstMessage: "",
            model: { provider: "local",
                     rules: [{ match: ["lookup"], tool: "lookup", arguments: { q: "x" }, toolReply: "Result: {{result}}" }],
                     tools: [{ type: "apiRequest", name: "lookup", method: "GET", url: `${internal.url}/admin`, timeoutSeconds: 3 }] },
        },
        transport,
    }, { token: v.publicKey });
    assert.equal(toolCall.status, 201, toolCall.text);
    const b = await joinCall(t, toolCall.json);
    b.say("please lookup the thing");
    // The assistant speaks the tool's outcome: the uniform refusal, not the service's body.
    await waitUntil(() => b.texts.some((s) => s.includes("Result: ")), 15000, "the tool result to be spoken").catch(() => {});
    await sleep(300);

    const seen = a.texts.join("\n") + "\n" + b.texts.join("\n");
    assert.equal(internal.requests.length, 0,
                 `the internal service was reached: ${JSON.stringify(internal.requests.map((r) => r.method + " " + r.url))}`);
    assert.ok(!seen.includes(SECRET), "the internal service's answer reached the caller");
    assert.ok(b.texts.some((s) => s.includes(`Result: ${REFUSED}`)),
              `the tool result should be the uniform refusal; the caller saw: ${b.texts.filter((s) => s.includes("Result")).slice(0, 3)}`);
    const ended = a.messages().find((m) => m.type === "status-update" && m.status === "ended");
    assert.equal(ended?.endedReason, "pipeline-error-custom-llm-llm-failed", "the model turn should fail");
    await a.close();
    await b.close();
});

test("SSRF (private key): every spelling of loopback and private addresses is refused with one error text, in tools and webhooks", async (t) => {
    const internal = await internalService(t);
    const v6 = await internalServiceV6(t);
    const port = Number(new URL(internal.url).port);
    const urls = corpus(port, await closedPort(), v6);
    // The operator's own URLs are not held to the policy: --twilio-api-url at a loopback fake.
    const twilio = await receiver(t, (req, body, res) => {
        res.writeHead(201, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ sid: "CA" + "0".repeat(32) }));
    });
    const v = await voxa(t, { egressLoopback: false, args: ["--twilio-api-url", twilio.url] });

    // One call: an apiRequest tool per URL of the corpus, a function tool whose server is the
    // internal service, and the assistant's server.url (webhooks) there too.
    const tools = urls.map((url, i) => ({ type: "apiRequest", name: `probe${i}`, method: "POST", url, timeoutSeconds: 3 }));
    tools.push({ type: "function", function: { name: "fn", parameters: { type: "object", properties: {} } },
                 server: { url: `http://localhost:${port}/tool`, timeoutSeconds: 3 } });
    const rules = urls.map((_, i) => ({ regex: `^probe ${i}$`, tool: `probe${i}`, arguments: { i }, toolReply: "ok" }));
    rules.push({ regex: "^function$", tool: "fn", toolReply: "ok" });
    const created = await v.api("POST", "/call", {
        assistant: { ...local, firstMessage: "",
                     server: { url: `${internal.url}/webhook`, timeoutSeconds: 3 },
                     serverMessages: ["status-update", "end-of-call-report"],
                     model: { provider: "local", rules, tools } },
        transport,
    });
    assert.equal(created.status, 201, created.text);
    const call = created.json;
    const c = await joinCall(t, call);
    for (let i = 0; i < urls.length; i++) {
        c.say(`probe ${i}`);
        await logsOf(v, call.id, "apiRequest", i + 1);
    }
    c.say("function");
    await logsOf(v, call.id, "tool-calls", 1);
    await c.close();

    const apiLogs = await logsOf(v, call.id, "apiRequest", urls.length);
    const byUrl = new Map(apiLogs.map((l) => [l.requestUrl.split("?")[0], l.error ?? `(no error, HTTP ${l.responseHttpCode})`]));
    const errors = urls.map((u) => [u, byUrl.get(u) ?? "(no log)"]);
    const wrong = errors.filter(([, e]) => e !== REFUSED);
    assert.deepEqual(wrong, [], `every destination must get exactly "${REFUSED}"`);

    // Webhooks: status updates and the end-of-call report, and the function tool's server.
    const status = await logsOf(v, call.id, "status-update", 1);
    const tool = await logsOf(v, call.id, "tool-calls", 1);
    const hooks = [...status, ...tool];
    assert.ok(hooks.length >= 2, `webhook attempts should be logged: ${JSON.stringify(hooks)}`);
    for (const l of hooks) assert.equal(l.error, REFUSED, `${l.webhookType} to ${l.requestUrl}`);

    await sleep(500);
    assert.equal(internal.requests.length, 0,
                 `the internal service was reached: ${JSON.stringify(internal.requests.map((r) => r.method + " " + r.url))}`);
    if (v6) assert.equal(v6.requests.length, 0, "the internal service on ::1 was reached");

    // The operator's --twilio-api-url on loopback still works (an outbound phone call).
    const pn = await v.api("POST", "/phone-number", { provider: "twilio", number: "+15550001111",
                                                      twilioAccountSid: "AC" + "3".repeat(32), twilioAuthToken: "tok" });
    assert.equal(pn.status, 201, pn.text);
    const out = await v.api("POST", "/call", { phoneNumberId: pn.json.id, customer: { number: "+15550002222" },
                                               assistant: { ...local, firstMessage: "Hi." } });
    assert.equal(out.status, 201, out.text);
    assert.ok(twilio.requests.some((r) => r.url.endsWith("/Calls.json")), "the operator's Twilio URL was not reached");
});

test("SSRF: --egress-allow opens loopback (the same webhook and tool are delivered); a bad range stops the start", async (t) => {
    const internal = await internalService(t);
    const v = await voxa(t, { egressLoopback: false, args: ["--egress-allow", "127.0.0.0/8"] });
    assert.match(v.output(), /allow[^\n]*127\.0\.0\.0\/8/, "the effective allow list is logged at start");
    const created = await v.api("POST", "/call", {
        assistant: { ...local, firstMessage: "",
                     server: { url: `${internal.url}/webhook`, timeoutSeconds: 3 },
                     serverMessages: ["status-update"],
                     model: { provider: "local",
                              rules: [{ match: ["lookup"], tool: "lookup", toolReply: "ok" }],
                              tools: [{ type: "apiRequest", name: "lookup", method: "GET", url: `${internal.url}/admin`, timeoutSeconds: 3 }] } },
        transport,
    });
    assert.equal(created.status, 201, created.text);
    const c = await joinCall(t, created.json);
    c.say("lookup");
    await waitUntil(() => internal.requests.some((r) => r.url === "/admin"), 10000, "the tool request");
    await c.close();
    await waitUntil(() => internal.requests.some((r) => r.url === "/webhook"), 10000, "the webhook");
    const logs = await logsOf(v, created.json.id, "status-update", 1);
    assert.ok(logs.some((l) => l.responseHttpCode === 200 && !l.error), JSON.stringify(logs));

    // A bad range (here through the environment variable) is a start-up error that names it.
    const dir = await mkdtemp(join(tmpdir(), "voxa-ssrf-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const bad = await run(BIN, ["serve", "--listen", "127.0.0.1:0", "--data-dir", join(dir, "data"), "--no-bootstrap"],
                          { env: { ...process.env, VOXA_EGRESS_ALLOW: "127.0.0.0/8,10.0.0.1/8" }, timeout: 8000 })
        .then((r) => ({ code: 0, out: r.stdout + r.stderr }),
              (e) => ({ code: e.killed ? "still running" : e.code, out: (e.stdout ?? "") + (e.stderr ?? "") }));
    assert.equal(bad.code, 2, `a bad VOXA_EGRESS_ALLOW should stop the server: ${bad.code}\n${bad.out.slice(-2000)}`);
    assert.match(bad.out, /10\.0\.0\.1\/8.*did you mean 10\.0\.0\.0\/8/);
});
