// Shared helpers for the web suite (tests/integration/web). Not a test file.
//
// Headless Debian Chromium (/usr/bin/chromium) through playwright-core, with a fake microphone
// fed from a WAV made by flite at test time (shared/notes/test-peers.md §3: fresh profile via
// launchPersistentContext, 0.5 s+ of lead silence).
//
// Environment (run-web.sh sets these): VOXA_BASE_URL (a running Voxa serving the dashboard),
// VOXA_KEY / VOXA_PUBLIC_KEY (an org made with `voxa admin create-org`), VOXA_ARTIFACTS
// (where screenshots go). CHROMIUM overrides the browser binary.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync, readFileSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const run = promisify(execFile);

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../../..");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

function required(name) {
    const v = process.env[name];
    if (!v) throw new Error(`environment variable ${name} is required (see tests/integration/web/run-web.sh)`);
    return v;
}

export const BASE_URL = required("VOXA_BASE_URL").replace(/\/+$/, "");
export const KEY = process.env.VOXA_KEY || "";
export const PUBLIC_KEY = process.env.VOXA_PUBLIC_KEY || "";
export const ARTIFACTS = resolve(ROOT, process.env.VOXA_ARTIFACTS || "build/test-artifacts/web");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A one-line log to the test output (stderr keeps the spec reporter tidy). */
export function note(...args) {
    process.stderr.write(`[web] ${args.join(" ")}\n`);
}

/** REST against the server: {status, json, text, headers}. token: a key or session JWT. */
export async function api(method, path, body, { token = KEY, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    if (body !== undefined) h["Content-Type"] = "application/json";
    const res = await fetch(BASE_URL + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch {}
    return { status: res.status, json, text, headers: res.headers };
}

/** Polls fn() until it returns a truthy value; throws with `what` after timeoutMs. */
export async function waitUntil(fn, timeoutMs, what, stepMs = 100) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
        last = await fn();
        if (last) return last;
        await sleep(stepMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * A caller's microphone: flite (kal16, the same audio every run) saying `text`, as 16 kHz
 * mono s16 with `leadS` of silence before and `trailS` after. Returns the WAV path; the
 * directory is removed by the returned cleanup().
 */
export async function micWav(text, { leadS = 1.5, trailS = 4, voice = "kal16" } = {}) {
    const dir = mkdtempSync(join(tmpdir(), "voxa-web-mic-"));
    const raw = join(dir, "tts.wav");
    const wav = join(dir, "mic.wav");
    await run("flite", ["-voice", voice, "-t", text, "-o", raw]);
    await run("sox", [raw, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed", wav, "pad", String(leadS), String(trailS)]);
    return { wav, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Playwright's permission-free defaults plus the flags of test-peers.md §3. */
export function chromiumArgs({ wav, fakeUi = true, noloop = false } = {}) {
    const args = [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-device-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ];
    if (fakeUi) args.push("--use-fake-ui-for-media-stream");
    else args.push("--deny-permission-prompts");
    if (wav) args.push(`--use-file-for-fake-audio-capture=${resolve(wav)}${noloop ? "%noloop" : ""}`);
    return args;
}

/**
 * Headless Chromium with a fresh profile. Returns {context, page, close}. Console errors and
 * page errors are collected in `errors` (and printed with VOXA_WEB_VERBOSE=1).
 */
export async function launch(opts = {}) {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
    const userDataDir = mkdtempSync(join(tmpdir(), "voxa-web-chromium-"));
    const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: chromiumArgs(opts),
        viewport: { width: 1280, height: 860 },
        ...(opts.contextOptions || {}),
    });
    const page = context.pages()[0] || (await context.newPage());
    const errors = [];
    const watch = (p) => {
        p.on("console", (m) => {
            if (process.env.VOXA_WEB_VERBOSE) note(`[console.${m.type()}]`, m.text());
            if (m.type() === "error") errors.push(m.text());
        });
        p.on("pageerror", (e) => {
            if (process.env.VOXA_WEB_VERBOSE) note("[pageerror]", e.message);
            errors.push(`pageerror: ${e.message}`);
        });
    };
    watch(page);
    context.on("page", watch);
    let closed = false;
    const close = async () => {
        if (closed) return;
        closed = true;
        await context.close().catch(() => {});
        rmSync(userDataDir, { recursive: true, force: true });
    };
    return { context, page, errors, close };
}

/** Saves a full-page PNG under ARTIFACTS (created on demand); returns the path. */
export async function screenshot(page, name, { fullPage = true } = {}) {
    const file = join(ARTIFACTS, `${name}.png`);
    mkdirSync(dirname(file), { recursive: true });
    await page.screenshot({ path: file, fullPage });
    return file;
}

/** The SDK's web-call engine (web/sdk/src/webcall.ts) bundled by esbuild as an IIFE exposing window.VoxaWebCall. */
export async function bundleWebcall() {
    const esbuild = await import("esbuild");
    const r = await esbuild.build({
        entryPoints: [join(ROOT, "web/sdk/src/webcall.ts")],
        bundle: true,
        write: false,
        format: "iife",
        globalName: "VoxaWebCall",
        target: "es2020",
        logLevel: "silent",
    });
    return r.outputFiles[0].text;
}

/**
 * A page server of the test's own (for the library alone, without the dashboard): serves
 * `/` (the given HTML), `/webcall.js` (the bundle), `/sdk/*-worklet.js` (web/sdk/src/worklets) and
 * forwards `POST /call/web` to `target` (a Voxa), so the library runs with baseUrl = this
 * origin exactly as it does when Voxa serves the dashboard. Returns {url, close, forwarded}.
 */
export async function pageServer({ html, bundle, target }) {
    const forwarded = [];
    const server = createServer(async (req, res) => {
        try {
            const url = new URL(req.url, "http://x");
            if (req.method === "GET" && url.pathname === "/") {
                res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
                return res.end(html);
            }
            if (url.pathname === "/favicon.ico") {
                res.writeHead(204);
                return res.end();
            }
            if (req.method === "GET" && url.pathname === "/webcall.js") {
                res.writeHead(200, { "Content-Type": "text/javascript" });
                return res.end(bundle);
            }
            const m = /^\/sdk\/([a-z-]+-worklet\.js)$/.exec(url.pathname);
            if (req.method === "GET" && m) {
                const file = join(ROOT, "web/sdk/src/worklets", m[1]);
                if (!existsSync(file)) {
                    res.writeHead(404);
                    return res.end();
                }
                res.writeHead(200, { "Content-Type": "text/javascript" });
                return res.end(readFileSync(file));
            }
            if (req.method === "POST" && url.pathname === "/call/web") {
                const chunks = [];
                for await (const c of req) chunks.push(c);
                const body = Buffer.concat(chunks).toString("utf8");
                const headers = { "Content-Type": "application/json" };
                if (req.headers.authorization) headers.Authorization = req.headers.authorization;
                const r = await fetch(target + "/call/web", { method: "POST", headers, body });
                const text = await r.text();
                forwarded.push({ body: JSON.parse(body), authorization: req.headers.authorization || null, status: r.status, response: text });
                res.writeHead(r.status, { "Content-Type": "application/json" });
                return res.end(text);
            }
            res.writeHead(404);
            res.end();
        } catch (e) {
            res.writeHead(500);
            res.end(String(e));
        }
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${server.address().port}`;
    return { url, forwarded, close: () => new Promise((r) => server.close(() => r())) };
}

/** RMS (0..1 of full scale) of s16le mono PCM in a WAV buffer's data chunk, and its duration. */
export function wavStats(buf) {
    if (buf.length < 44 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE")
        throw new Error("not a RIFF/WAVE file");
    let off = 12, fmt = null;
    while (off + 8 <= buf.length) {
        const id = buf.toString("ascii", off, off + 4);
        const size = buf.readUInt32LE(off + 4);
        if (id === "fmt ") fmt = { channels: buf.readUInt16LE(off + 10), rate: buf.readUInt32LE(off + 12), bits: buf.readUInt16LE(off + 22) };
        if (id === "data" && fmt) {
            const end = Math.min(buf.length, off + 8 + size);
            let sum = 0, n = 0;
            for (let p = off + 8; p + 1 < end; p += 2, n++) {
                const s = buf.readInt16LE(p) / 32768;
                sum += s * s;
            }
            return { ...fmt, seconds: n / fmt.channels / fmt.rate, rms: n ? Math.sqrt(sum / n) : 0 };
        }
        off += 8 + size + (size & 1);
    }
    throw new Error("no data chunk");
}
