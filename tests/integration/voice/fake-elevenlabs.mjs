// A local ElevenLabs for the voice tests: the multi-context WebSocket input-streaming API as
// ElevenLabs documents it (elevenlabs.io/docs: "Multi-Context WebSocket",
// GET /v1/text-to-speech/{voice_id}/multi-stream-input), answering with real speech: the text
// of each context is synthesized with flite at the requested output_format — nothing is
// canned (but with `canned`, below).
//
//   const el = await startElevenLabsFake({ key: "xi-key" });   // el.url = "http://127.0.0.1:PORT"
//   startElevenLabsFake({ canned: true })   // load runs (bench/providers): a tone, no flite
//   voxa serve --provider-url 11labs=<el.url>
//   el.sockets -> [{ path, voiceId, query, headers, received: [msg], sent: [msg], contexts: Map,
//                    closeSocketWhileStreaming: [contextId], closedBy }]
//   el.misbehave("refuse" | "auth-message" | "close-mid-utterance" | "stall" | "garbage" | null)
//   el.closeIdleSockets()      // as ElevenLabs does after inactivity_timeout: closes idle sockets
//   await el.close();
//
// Protocol, as checked here field by field:
//   upgrade: path /v1/text-to-speech/{voice_id}/multi-stream-input with `xi-api-key`; a wrong
//     or missing key -> HTTP 401 {"detail":{"status":"invalid_api_key","message":...}}; another
//     path -> 404; output_format other than pcm_8000..pcm_44100 / ulaw_8000 -> 400.
//   client -> server (JSON text): {"text":" ","context_id","voice_settings"?,...} opens a
//     context (the first message naming it); {"text","context_id","flush"?}: more text,
//     flush: generate now; {"context_id","close_context":true}: no more input for it (what
//     was flushed is still spoken, then isFinal); {"close_socket":true}: end of everything.
//   server -> client: {"audio":<base64>,"normalizedAlignment":null,"alignment":null,
//     "contextId"} chunks of 100 ms, paced a little faster than real time, then
//     {"isFinal":true,"contextId"} once a closed context's audio is all out.
import http from "node:http";
import { WebSocketServer } from "ws";

import { cannedSpeech } from "./canned.mjs";
import { synth } from "./lib.mjs";

const PATH = /^\/v1\/text-to-speech\/([^/]+)\/multi-stream-input$/;

function reject(socket, status, reason, body) {
    const json = JSON.stringify(body);
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n` +
               `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
}

function formatOf(outputFormat) {
    if (outputFormat === "ulaw_8000") return { rate: 8000, format: "mulaw", bytesPerSample: 1 };
    const m = /^pcm_(8000|16000|22050|24000|44100)$/.exec(outputFormat || "");
    return m ? { rate: Number(m[1]), format: "pcm_s16le", bytesPerSample: 2 } : null;
}

export async function startElevenLabsFake({ key = "xi-test-key", paceMs = 80, chunkMs = 100, canned = false } = {}) {
    const speech = canned ? cannedSpeech : synth;
    const sockets = [];
    let mode = null;
    const server = http.createServer((req, res) => {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ detail: { status: "not_found", message: "not a WebSocket request" } }));
    });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    const live = new Set();

    server.on("upgrade", (req, socket, head) => {
        const url = new URL(req.url, "http://x");
        const m = PATH.exec(url.pathname);
        const rec = {
            path: url.pathname, voiceId: m ? decodeURIComponent(m[1]) : null, query: url.searchParams,
            headers: req.headers, received: [], sent: [], contexts: new Map(), closeSocketWhileStreaming: null,
            closedBy: null, opened: Date.now(), mode,
        };
        sockets.push(rec);
        if (mode === "refuse") return socket.destroy();
        if (!m) return reject(socket, 404, "Not Found", { detail: { status: "not_found", message: "Not found" } });
        if (req.headers["xi-api-key"] !== key)
            return reject(socket, 401, "Unauthorized", { detail: { status: "invalid_api_key", message: "Invalid API key" } });
        if (!formatOf(url.searchParams.get("output_format") || "mp3_44100_128") || !url.searchParams.get("model_id"))
            return reject(socket, 400, "Bad Request", { detail: { status: "invalid_request", message: "unsupported output_format" } });
        wss.handleUpgrade(req, socket, head, (ws) => serve(ws, rec));
    });

    function serve(ws, rec) {
        const fmt = formatOf(rec.query.get("output_format"));
        const chunkBytes = Math.round((fmt.rate * chunkMs) / 1000) * fmt.bytesPerSample;
        live.add(ws);
        rec.ws = ws;
        let anyAudio = false;
        const send = (obj) => {
            if (ws.readyState !== ws.OPEN) return;
            rec.sent.push(obj.audio ? { ...obj, audio: `<${Buffer.from(obj.audio, "base64").length} bytes>` } : obj);
            ws.send(JSON.stringify(obj));
        };
        const streaming = () => [...rec.contexts.values()].filter((c) => !c.final && (c.queue.length || c.pending || c.running));
        // One sender per context: its flushed segments in order, 100 ms chunks, then isFinal.
        const run = async (c) => {
            if (c.running) return;
            c.running = true;
            while (ws.readyState === ws.OPEN && !rec.closedBy) {
                if (!c.queue.length) {
                    if (c.pending) { await c.pending; continue; }
                    break;
                }
                const pcm = c.queue.shift();
                for (let off = 0; off < pcm.length && ws.readyState === ws.OPEN; off += chunkBytes) {
                    if (rec.mode === "close-mid-utterance" && anyAudio) {
                        rec.closedBy = "server";
                        ws.terminate();  // no close frame: the socket just goes, mid-utterance
                        return;
                    }
                    send({ audio: pcm.subarray(off, off + chunkBytes).toString("base64"), normalizedAlignment: null,
                           alignment: null, contextId: c.id });
                    c.audioBytes += Math.min(chunkBytes, pcm.length - off);
                    anyAudio = true;
                    await new Promise((r) => setTimeout(r, paceMs));
                }
            }
            c.running = false;
            if (c.closeRequested && !c.queue.length && !c.pending && !c.final && ws.readyState === ws.OPEN) {
                c.final = true;
                send({ isFinal: true, contextId: c.id });
            }
        };
        const flush = (c) => {
            const text = c.buffer.trim();
            c.buffer = "";
            if (!text) return;
            c.spoken.push(text);
            const job = speech(text, { rate: fmt.rate, format: fmt.format }).then((pcm) => {
                c.queue.push(pcm);
                if (c.pending === job) c.pending = null;
            });
            c.pending = job;
            run(c);
        };

        ws.on("message", (data, isBinary) => {
            if (isBinary) {
                rec.received.push({ binary: data.length });
                return;
            }
            let msg;
            try {
                msg = JSON.parse(data.toString("utf8"));
            } catch {
                rec.received.push({ invalid: data.toString("utf8") });
                return;
            }
            rec.received.push(msg);
            if (rec.mode === "auth-message") {
                // A key that is refused after the upgrade: ElevenLabs' error message, then a close.
                send({ message: "Invalid API key", error: "invalid_api_key", code: 1008 });
                rec.closedBy = "server";
                ws.close(1008, "invalid_api_key");
                return;
            }
            if (rec.mode === "garbage") {
                ws.send("<html><body>502 Bad Gateway</body></html>");
                return;
            }
            if (msg.close_socket) {
                rec.closeSocketWhileStreaming = streaming().map((c) => c.id);
                rec.closedBy = "close_socket";
                ws.close(1000);
                return;
            }
            const id = msg.context_id ?? "default";
            let c = rec.contexts.get(id);
            if (!c) {
                c = { id, first: msg, buffer: "", spoken: [], queue: [], pending: null, running: false,
                      closeRequested: false, closedWhileStreaming: false, final: false, audioBytes: 0, messages: [] };
                rec.contexts.set(id, c);
            }
            c.messages.push(msg);
            if (rec.mode === "stall") return;  // takes text, never answers
            if (typeof msg.text === "string") c.buffer += msg.text;
            if (msg.flush) flush(c);
            if (msg.close_context) {
                c.closeRequested = true;
                c.closedWhileStreaming = c.queue.length > 0 || !!c.pending || c.running;
                flush(c);
                run(c);
            }
        });
        ws.on("close", () => {
            live.delete(ws);
            if (!rec.closedBy) rec.closedBy = "client";
            rec.closedAt = Date.now();
        });
    }

    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${server.address().port}`;
    return {
        url,
        sockets,
        misbehave(m) { mode = m; },
        /** The sockets that got past the upgrade. */
        accepted() { return sockets.filter((s) => s.ws); },
        /** ElevenLabs closes a socket after inactivity_timeout: every socket with nothing streaming. */
        closeIdleSockets() {
            for (const s of sockets) {
                if (!s.ws || s.ws.readyState !== s.ws.OPEN) continue;
                if ([...s.contexts.values()].some((c) => !c.final && (c.queue.length || c.pending || c.running))) continue;
                s.closedBy = "idle-timeout";
                s.ws.close(1000, "inactivity timeout");
            }
        },
        async close() {
            for (const c of wss.clients) c.terminate();
            await new Promise((r) => server.close(r));
        },
    };
}
