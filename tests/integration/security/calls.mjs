// Call helpers for the security tests of live calls (live-control, pending-calls). Not a
// test file. Calls use the websocket transport and the local (offline) providers.
//
//   const call = await createCall(v, localAssistant({ firstMessage: "Hi." }));
//   const peer = await join(call);                   // the caller's socket
//   await peer.waitFor((m) => m.type === "speech-update", 5000);
//   peer.audibleFrames()                             // frames of assistant audio (rms > 300)
//   await upgradeStatus(call.monitor.listenUrl)      // 101 when the upgrade is accepted
import { request as httpRequest } from "node:http";
import { randomBytes } from "node:crypto";
import { rms } from "../pcm.mjs";
import { sleep } from "./lib.mjs";

/** An assistant on the local providers (no network). */
export function localAssistant(extra = {}) {
    return {
        transcriber: { provider: "local" },
        voice: { provider: "local", voiceId: "slt" },
        model: { provider: "local", rules: [] },
        ...extra,
    };
}

/** POST /call (websocket transport, 16 kHz PCM): the raw answer {status, json, text}. */
export function postCall(v, assistant, { token, path = "/call", ...rest } = {}) {
    const body = {
        assistant,
        transport: { provider: "vapi.websocket", audioFormat: { format: "pcm_s16le", container: "raw", sampleRate: 16000 } },
        ...rest,
    };
    return v.api("POST", path, body, token === undefined ? {} : { token });
}

/** POST /call that must succeed: the call record. */
export async function createCall(v, assistant, opts) {
    const r = await postCall(v, assistant, opts);
    if (r.status !== 201) throw new Error(`POST /call -> ${r.status}: ${r.text}`);
    return r.json;
}

/** GET /call/{id}: the record. */
export async function getCall(v, id) {
    const r = await v.api("GET", `/call/${id}`);
    if (r.status !== 200) throw new Error(`GET /call/${id} -> ${r.status}: ${r.text}`);
    return r.json;
}


/** A WebSocket that records what it receives: {ws, messages, binary, closed, waitFor}. */
export async function openSocket(url, { headers, timeoutMs = 5000 } = {}) {
    const ws = new WebSocket(url, headers ? { headers } : undefined);
    ws.binaryType = "arraybuffer";
    const s = { ws, messages: [], binary: [], closed: null, waiters: new Set() };
    const poke = () => s.waiters.forEach((w) => w());
    ws.addEventListener("message", (ev) => {
        if (typeof ev.data === "string") {
            try {
                s.messages.push(JSON.parse(ev.data));
            } catch {}
        } else {
            s.binary.push(Buffer.from(ev.data));
        }
        poke();
    });
    s.closedPromise = new Promise((res) =>
        ws.addEventListener("close", (ev) => {
            s.closed = { code: ev.code, reason: ev.reason };
            poke();
            res(s.closed);
        }));
    /** Resolves with the first message for which pred(msg) holds; rejects after timeoutMs. */
    s.waitFor = (pred, ms, what = "a message") =>
        new Promise((resolve, reject) => {
            const check = () => {
                const m = s.messages.find(pred);
                if (m) {
                    s.waiters.delete(check);
                    clearTimeout(timer);
                    resolve(m);
                }
            };
            const timer = setTimeout(() => {
                s.waiters.delete(check);
                reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
            }, ms);
            s.waiters.add(check);
            check();
        });
    /** Binary frames whose level says the assistant is speaking (stereo: channel 1 only). */
    s.audibleFrames = ({ stereo = false } = {}) =>
        s.binary.filter((b) => {
            if (!stereo) return rms(b) > 300;
            const n = Math.floor(b.length / 4);
            const ch = Buffer.alloc(n * 2);
            for (let i = 0; i < n; i++) ch.writeInt16LE(b.readInt16LE(i * 4 + 2), i * 2);
            return rms(ch) > 300;
        });
    s.close = () => {
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    };
    await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`websocket ${url} did not open`)), timeoutMs);
        ws.addEventListener("open", () => { clearTimeout(timer); resolve(); }, { once: true });
        ws.addEventListener("error", () => { clearTimeout(timer); reject(new Error(`websocket ${url} refused`)); }, { once: true });
    });
    return s;
}

/** Joins the call as its caller (transport.websocketCallUrl). */
export function join(call) {
    return openSocket(call.transport.websocketCallUrl);
}

/**
 * The HTTP status a WebSocket upgrade of `url` gets (101 when accepted; the socket is then
 * closed at once). `headers` are added to the request.
 */
export function upgradeStatus(url, headers = {}) {
    const u = new URL(url.replace(/^ws/, "http"));
    return new Promise((resolve, reject) => {
        const req = httpRequest({
            host: u.hostname, port: u.port, path: u.pathname + u.search, method: "GET",
            headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13",
                       "Sec-WebSocket-Key": randomBytes(16).toString("base64"), ...headers },
        });
        req.setTimeout(5000, () => req.destroy(new Error(`upgrade of ${url} timed out`)));
        req.on("upgrade", (res, socket) => {
            socket.destroy();
            resolve(res.statusCode);
        });
        req.on("response", (res) => {
            res.resume();
            resolve(res.statusCode);
        });
        req.on("error", reject);
        req.end();
    });
}

/** A random secret of the same form as the server's (base64url). */
export function randomSecret(length) {
    return randomBytes(length).toString("base64url").slice(0, length);
}

/** Polls until every id's record is ended; returns the records. */
export async function waitAllEnded(v, ids, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    const done = new Map();
    while (Date.now() < deadline) {
        for (const id of ids) {
            if (done.has(id)) continue;
            const rec = await getCall(v, id);
            if (rec.status === "ended") done.set(id, rec);
        }
        if (done.size === ids.length) return ids.map((id) => done.get(id));
        await sleep(200);
    }
    throw new Error(`${ids.length - done.size} of ${ids.length} calls not ended after ${timeoutMs} ms`);
}
