// A local Deepgram Aura for the voice tests: the text-to-speech WebSocket as Deepgram
// documents it (developers.deepgram.com: "Text-to-Speech Streaming", Flush, Clear, Close;
// the official SDKs' speak v1 socket types), answering with real speech: each flushed text
// is synthesized with flite at the requested encoding and sample rate — nothing is canned
// (but with `canned`, below).
//
//   const speak = deepgramSpeak({ key: "dg-key" });
//   const dg = await startDeepgramFake({ key: "dg-key", speak });  // one base URL for listen and speak
//   // or on its own: const speak = await startDeepgramSpeakFake({ key }); speak.url
//   startDeepgramSpeakFake({ canned: true })   // load runs (bench/providers): a tone, no flite
//   speak.sockets -> [{ path, query, headers, received: [msg], sent: [msg], spoken: [text],
//                       clearedWhileStreaming: n, closedBy }]
//   speak.misbehave("refuse" | "close-mid-utterance" | "stall" | "garbage" | null)
//     (takes effect at once, on the open sockets too; "close-mid-utterance": the socket is cut
//     after the first audio chunk of the next utterance)
//
// Protocol, as checked here field by field:
//   upgrade: GET /v1/speak?model=<aura model>&encoding=linear16|mulaw&sample_rate=<rate>
//     [&mip_opt_out=true] with `Authorization: Token <key>`; a wrong or missing key -> HTTP 401
//     with Deepgram's error body {err_code:"INVALID_AUTH", err_msg, request_id}; a model that
//     is not an Aura name, an encoding or sample rate Deepgram's streaming does not take
//     (alaw is not modelled here) -> 400; another path -> 404.
//   server -> client first: {"type":"Metadata","request_id","model_name","model_version","model_uuid"}.
//   client -> server (JSON text): {"type":"Speak","text"} appends to the text buffer;
//     {"type":"Flush"} generates the buffer: binary audio (100 ms chunks, a little faster than
//     real time), then {"type":"Flushed","sequence_id":n} (n = 0, 1, ... per Flush); more than
//     20 Flush in 60 s -> {"type":"Warning","description","code"} and that Flush is dropped;
//     {"type":"Clear"} drops the buffer and every queued or streaming Flush, then
//     {"type":"Cleared","sequence_id":<last Flush's>}; {"type":"Close"} closes (1000).
//     Anything else (binary, not JSON, unknown type) is recorded and answered with a Warning.
import http from "node:http";
import { randomUUID } from "node:crypto";
import { WebSocketServer } from "ws";

import { cannedSpeech } from "./canned.mjs";
import { synth } from "./lib.mjs";

const MODEL = /^aura(-2)?-[a-z]+-[a-z]{2}$/;
const RATES = new Set(["8000", "16000", "24000", "32000", "48000"]);
const FLUSHES_PER_MINUTE = 20;

function reject(socket, status, reason, body) {
    const json = JSON.stringify(body);
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n` +
               `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
}

/** The speak endpoint, to mount on an HTTP server's upgrades (see startDeepgramFake's `speak`). */
export function deepgramSpeak({ key = "dg-test-key", paceMs = 80, chunkMs = 100, canned = false } = {}) {
    const speech = canned ? cannedSpeech : synth;
    const sockets = [];
    let mode = null;
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

    function upgrade(req, socket, head) {
        const url = new URL(req.url, "http://x");
        const requestId = randomUUID();
        const rec = { path: url.pathname, query: url.searchParams, headers: req.headers, requestId,
                      received: [], sent: [], spoken: [], clearedWhileStreaming: 0, closedBy: null, opened: Date.now() };
        sockets.push(rec);
        if (mode === "refuse") return socket.destroy();  // the connection goes before any answer
        if (url.pathname !== "/v1/speak")
            return reject(socket, 404, "Not Found", { err_code: "NOT_FOUND", err_msg: "Not found.", request_id: requestId });
        if (req.headers.authorization !== `Token ${key}`)
            return reject(socket, 401, "Unauthorized", { err_code: "INVALID_AUTH", err_msg: "Invalid credentials.", request_id: requestId });
        const q = url.searchParams;
        if (!MODEL.test(q.get("model") || "") || !["linear16", "mulaw"].includes(q.get("encoding") || "linear16") ||
            !RATES.has(q.get("sample_rate") || "24000"))
            return reject(socket, 400, "Bad Request", { err_code: "INVALID_QUERY_PARAMETER",
                                                        err_msg: "unsupported model, encoding or sample_rate", request_id: requestId });
        wss.handleUpgrade(req, socket, head, (ws) => serve(ws, rec));
    }

    function serve(ws, rec) {
        const q = rec.query;
        const rate = Number(q.get("sample_rate") || 24000);
        const mulaw = q.get("encoding") === "mulaw";
        const chunkBytes = Math.round((rate * chunkMs) / 1000) * (mulaw ? 1 : 2);
        rec.ws = ws;
        let buffer = "";
        let flushes = 0;          // sequence ids handed out
        let flushTimes = [];
        let jobs = [];            // {seq, audio: Promise<Buffer>}, in order
        let epoch = 0;            // bumped by Clear: what was queued before is dropped
        let running = false;
        const send = (obj) => {
            if (ws.readyState !== ws.OPEN) return;
            rec.sent.push(obj);
            ws.send(JSON.stringify(obj));
        };
        const sendAudio = (bytes) => {
            if (ws.readyState !== ws.OPEN) return;
            rec.sent.push({ audio: bytes.length });
            ws.send(bytes, { binary: true });
        };
        // One sender: each Flush's audio in order, then its Flushed.
        const run = async () => {
            if (running) return;
            running = true;
            while (jobs.length && ws.readyState === ws.OPEN) {
                const job = jobs[0];
                const pcm = await job.audio;
                for (let off = 0; off < pcm.length && ws.readyState === ws.OPEN && job.epoch === epoch; off += chunkBytes) {
                    if (mode === "close-mid-utterance" && job.chunks > 0) {
                        rec.closedBy = "server";
                        ws.terminate();  // no close frame: the socket just goes, mid-utterance
                        return;
                    }
                    job.streaming = true;
                    sendAudio(pcm.subarray(off, off + chunkBytes));
                    job.chunks++;
                    await new Promise((r) => setTimeout(r, paceMs));
                }
                if (job.epoch === epoch) {
                    jobs.shift();
                    send({ type: "Flushed", sequence_id: job.seq });
                }
            }
            running = false;
        };

        send({ type: "Metadata", request_id: rec.requestId, model_name: q.get("model"), model_version: "fake",
               model_uuid: "00000000-0000-0000-0000-000000000000" });
        ws.on("message", (data, isBinary) => {
            if (isBinary) {
                rec.received.push({ binary: data.length });
                send({ type: "Warning", description: "binary messages are not accepted", code: "INVALID_MESSAGE" });
                return;
            }
            let msg;
            try {
                msg = JSON.parse(data.toString("utf8"));
            } catch {
                rec.received.push({ invalid: data.toString("utf8") });
                send({ type: "Warning", description: "message is not JSON", code: "INVALID_MESSAGE" });
                return;
            }
            rec.received.push(msg);
            if (mode === "stall" && msg.type !== "Close") return;  // takes text, never answers
            if (mode === "garbage") {
                ws.send("<html><body>502 Bad Gateway</body></html>");
                return;
            }
            switch (msg.type) {
                case "Speak":
                    if (typeof msg.text === "string") buffer += msg.text;
                    break;
                case "Flush": {
                    const now = Date.now();
                    flushTimes = flushTimes.filter((t) => now - t < 60000);
                    if (flushTimes.length >= FLUSHES_PER_MINUTE) {
                        send({ type: "Warning", description: "Too many Flush messages: at most 20 every 60 seconds",
                               code: "FLUSH_LIMIT_EXCEEDED" });
                        break;
                    }
                    flushTimes.push(now);
                    const text = buffer.trim();
                    buffer = "";
                    const seq = flushes++;
                    rec.spoken.push(text);
                    const audio = text ? speech(text, { rate, format: mulaw ? "mulaw" : "pcm_s16le" }) : Promise.resolve(Buffer.alloc(0));
                    jobs.push({ seq, audio, epoch, streaming: false, chunks: 0 });
                    run();
                    break;
                }
                case "Clear":
                    buffer = "";
                    if (jobs.some((j) => j.streaming)) rec.clearedWhileStreaming++;
                    jobs = [];
                    epoch++;
                    send({ type: "Cleared", sequence_id: Math.max(0, flushes - 1) });
                    break;
                case "Close":
                    rec.closedBy = "Close";
                    ws.close(1000);
                    break;
                default:
                    send({ type: "Warning", description: `unknown message type ${msg.type}`, code: "INVALID_MESSAGE" });
            }
        });
        ws.on("close", () => {
            if (!rec.closedBy) rec.closedBy = "client";
            rec.closedAt = Date.now();
        });
    }

    return {
        upgrade,
        sockets,
        misbehave(m) { mode = m; },
        /** The sockets that got past the upgrade. */
        accepted() { return sockets.filter((s) => s.ws); },
        /** Deepgram goes away: every open socket is cut now (no close frame). */
        drop() {
            for (const s of sockets) if (s.ws && !s.closedBy) s.closedBy = "server";
            for (const c of wss.clients) c.terminate();
        },
        close() { for (const c of wss.clients) c.terminate(); },
    };
}

/** The speak endpoint on a server of its own: {url, ...deepgramSpeak(), close()}. */
export async function startDeepgramSpeakFake(opts = {}) {
    const speak = deepgramSpeak(opts);
    const server = http.createServer((req, res) => {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ err_code: "NOT_FOUND", err_msg: "not a WebSocket request" }));
    });
    server.on("upgrade", (req, socket, head) => speak.upgrade(req, socket, head));
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    return {
        ...speak,
        url: `http://127.0.0.1:${server.address().port}`,
        async close() {
            speak.close();
            await new Promise((r) => server.close(r));
        },
    };
}
