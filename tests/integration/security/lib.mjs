// Shared helpers for the security regression suite (tests/integration/security). Not a test
// file. Every test starts the servers it needs, with the flags its finding is about:
//
//   const v = await voxa(t, { args: ["--registration", "closed"], web: true });
//   const r = await v.api("GET", "/assistant");              // {status, json, text, headers}
//   const r2 = await v.api("GET", "/auth/me", undefined, { token: null, headers: { Cookie } });
//   v.output()                                               // what the server printed so far
//
// The server is stopped with SIGTERM when the test ends, and a non-zero exit status fails
// the test (under ASan that is where leaks and use-after-free at exit are reported).
//
// Environment (run-security.sh sets it): VOXA_BIN, VOXA_WEB_OUT, CHROMIUM.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { createConnection, createServer as createNetServer } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../../..");
export const BIN = process.env.VOXA_BIN || join(ROOT, "build/voxa");
export const WEB_OUT = process.env.VOXA_WEB_OUT || join(ROOT, "web/out");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on loopback. */
export function freePort() {
    return new Promise((res, rej) => {
        const s = createNetServer();
        s.once("error", rej);
        s.listen(0, "127.0.0.1", () => {
            const { port } = s.address();
            s.close(() => res(port));
        });
    });
}

/** Polls fn() until it returns a truthy value; throws with `what` after timeoutMs. */
export async function waitUntil(fn, timeoutMs, what, stepMs = 100) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const v = await fn();
        if (v) return v;
        await sleep(stepMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Raw HTTP against `base`: {status, json, text, headers, bytes}. */
export async function request(base, method, path, body, { token, headers = {}, contentType } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload;
    if (body !== undefined) {
        payload = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
        h["Content-Type"] = contentType || h["Content-Type"] || "application/json";
    }
    const res = await fetch(base + path, { method, headers: h, body: payload, redirect: "manual" });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString("utf8");
    let json;
    try {
        json = JSON.parse(text);
    } catch {}
    return { status: res.status, json, text, headers: res.headers, bytes };
}

/**
 * Starts `voxa serve` on a free loopback port with its own data dir.
 *   args:  extra serve flags;  env: extra environment;  web: serve web/out (or this dir);
 *   org:   create an org with `voxa admin create-org` first (default true; false lets the
 *          server bootstrap its own first org and print its keys)
 *   egressLoopback: add --egress-allow for loopback (default true: the test's own fakes
 *          listen there; SSRF tests pass false)
 *   maxFiles: start it under `ulimit -n maxFiles` (soft and hard); softFiles: `ulimit -Sn`
 *   resolvConf: a file the server sees as /etc/resolv.conf (bind-mounted in a mount
 *          namespace of its own: needs root and unshare; the system's file is untouched)
 *   (both start it through bash's exec, so proc.pid is still the server's)
 *   prepare: async (dataDir) => {...}, run once before the first start (after create-org)
 * Returns {base, port, dataDir, key, publicKey, orgId, proc, api, output, stop, restart}.
 */
export async function voxa(t, { args = [], env = {}, web = false, org = true, egressLoopback = true,
                                maxFiles, softFiles, resolvConf, prepare } = {}) {
    const dir = await mkdtemp(join(tmpdir(), "voxa-sec-"));
    const dataDir = join(dir, "data");
    const v = { dataDir, dir };
    if (org) {
        const { stdout } = await run(BIN, ["admin", "create-org", "--data-dir", dataDir, "--name", "sec"],
                                     { env: { ...process.env, ...env } });
        const o = JSON.parse(stdout.split("\n").find((l) => l.startsWith("{")));
        Object.assign(v, { key: o.privateKey, publicKey: o.publicKey, orgId: o.orgId });
    }
    if (prepare) await prepare(dataDir);
    v.port = await freePort();
    v.base = `http://127.0.0.1:${v.port}`;
    let out = "";
    v.output = () => out;
    v.restart = async () => {
        const full = ["serve", "--listen", `127.0.0.1:${v.port}`, "--data-dir", dataDir];
        if (web) full.push("--web-dir", typeof web === "string" ? web : WEB_OUT);
        if (egressLoopback) full.push("--egress-allow", "127.0.0.0/8,::1/128");
        full.push(...args);
        const before = [];
        if (maxFiles) before.push(`ulimit -n ${Number(maxFiles)}`);
        if (softFiles) before.push(`ulimit -Sn ${Number(softFiles)}`);
        if (resolvConf) before.push(`mount --bind "$VOXA_RESOLV_CONF" /etc/resolv.conf`);
        let [cmd, argv] = before.length
            ? ["bash", ["-c", `${before.join(" && ")} && exec "$0" "$@"`, BIN, ...full]]
            : [BIN, full];
        if (resolvConf) [cmd, argv] = ["unshare", ["-m", cmd, ...argv]];
        if (resolvConf) env = { ...env, VOXA_RESOLV_CONF: resolvConf };
        const proc = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        proc.stdout.on("data", (d) => (out += d));
        proc.stderr.on("data", (d) => (out += d));
        v.exit = new Promise((res) => proc.on("exit", (code, signal) => res({ code, signal })));
        v.proc = proc;
        await waitUntil(async () => {
            if (proc.exitCode !== null || proc.signalCode !== null)
                throw new Error(`voxa exited (${proc.exitCode ?? proc.signalCode}) during start-up:\n${out.slice(-4000)}`);
            try {
                return (await fetch(v.base + "/health")).ok;
            } catch {
                return false;
            }
        }, 20000, "voxa /health");
        return v;
    };
    v.api = (method, path, body, opts = {}) =>
        request(v.base, method, path, body, { token: opts.token === undefined ? v.key : opts.token, ...opts });
    /** SIGTERM, then the exit status (SIGKILL after 15 s, reported as a failure). */
    v.stop = async () => {
        if (!v.proc || v.proc.exitCode !== null || v.proc.signalCode !== null) return v.exit;
        v.proc.kill("SIGTERM");
        const timer = setTimeout(() => v.proc.kill("SIGKILL"), 15000);
        const r = await v.exit;
        clearTimeout(timer);
        return r;
    };
    t.after(async () => {
        const r = await v.stop();
        await rm(dir, { recursive: true, force: true });
        if (r && (r.code !== 0 || r.signal)) {
            throw new Error(`voxa exited with ${r.code ?? r.signal} on SIGTERM:\n${out.slice(-4000)}`);
        }
    });
    return v.restart();
}

/**
 * A loopback HTTP server standing in for an org's own service (webhook receiver, tool
 * server). `handler(req, body, res)` may answer; by default 200 {"ok":true}. Every request is
 * kept in `requests` as {method, url, headers, body}.
 */
export async function receiver(t, handler) {
    const requests = [];
    const server = createHttpServer((req, res) => {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            requests.push({ method: req.method, url: req.url, headers: req.headers, body });
            if (handler && handler(req, body, res) !== false) return;
            res.writeHead(200, { "Content-Type": "application/json" });
            res.end('{"ok":true}');
        });
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${server.address().port}`;
    t.after(() => new Promise((r) => server.close(r)));
    return { url, requests, server };
}

/**
 * POST JSON from a chosen local address (127.0.0.x: another client of the same server):
 * {status, headers, text, json, ms}.
 */
export function postFrom(base, path, body, localAddress) {
    const u = new URL(base + path);
    const payload = JSON.stringify(body);
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
        const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", localAddress,
                                  headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } },
            (res) => {
                const chunks = [];
                res.on("data", (c) => chunks.push(c));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString();
                    let json;
                    try { json = JSON.parse(text); } catch {}
                    resolve({ status: res.statusCode, headers: res.headers, text, json, ms: Date.now() - t0 });
                });
            });
        req.setTimeout(10000, () => req.destroy(new Error(`POST ${path} from ${localAddress}: no answer in 10 s`)));
        req.on("error", reject);
        req.end(payload);
    });
}

/**
 * One raw HTTP/1.1 exchange on a fresh socket, the request written exactly as given (no URL
 * normalization): {status, head, body} of whatever came back before the server closed or
 * `timeoutMs` passed (status 0: nothing came back).
 */
export function rawHttp(port, requestText, { timeoutMs = 5000, write } = {}) {
    return new Promise((resolvePromise) => {
        const sock = createConnection({ host: "127.0.0.1", port });
        const chunks = [];
        let done = false;
        const finish = () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            sock.destroy();
            const all = Buffer.concat(chunks);
            const split = all.indexOf("\r\n\r\n");
            const head = (split < 0 ? all : all.subarray(0, split)).toString("latin1");
            const body = split < 0 ? Buffer.alloc(0) : all.subarray(split + 4);
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
            resolvePromise({ status: m ? Number(m[1]) : 0, head, body, text: body.toString("latin1") });
        };
        const timer = setTimeout(finish, timeoutMs);
        sock.on("data", (d) => chunks.push(d));
        sock.on("end", finish);
        sock.on("close", finish);
        sock.on("error", finish);
        sock.on("connect", () => {
            sock.write(requestText);
            if (write) write(sock);
        });
    });
}

/** Headless Debian Chromium with a fresh profile (playwright-core from the web suite). */
export async function browser(t) {
    const require = createRequire(join(ROOT, "tests/integration/web/package.json"));
    const { chromium } = require("playwright-core");
    const userDataDir = mkdtempSync(join(tmpdir(), "voxa-sec-chromium-"));
    const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync",
               "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
    });
    t.after(async () => {
        await context.close().catch(() => {});
        rmSync(userDataDir, { recursive: true, force: true });
    });
    const page = context.pages()[0] || (await context.newPage());
    return { context, page };
}
