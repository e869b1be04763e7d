// A local Cartesia for the voice tests: the TTS WebSocket as Cartesia documents it
// (docs.cartesia.ai: "Text to Speech (WebSocket)", "Contexts", "API conventions"), answering
// with real speech: each context's transcript is synthesized with flite at the requested
// output_format — nothing is canned (but with `canned`, below).
//
//   const ca = await startCartesiaFake({ key: "sk_car_x" });   // ca.url = "http://127.0.0.1:PORT"
//   startCartesiaFake({ canned: true })     // load runs (bench/providers): a tone, no flite
//   voxa serve --provider-url cartesia=<ca.url>
//   ca.sockets -> [{ path, query, headers, received: [msg], sent: [msg], contexts: Map, closedBy }]
//   ca.misbehave("refuse" | "payment" | "close-mid-utterance" | "stall" | "garbage" | null)
//   ca.closeIdleSockets()      // as Cartesia does after its idle timeout
//   await ca.close();
//
// Protocol, as checked here field by field:
//   upgrade: GET /tts/websocket with the key (`X-API-Key`, or `Authorization: Bearer`, or
//     ?api_key=) and the version (`Cartesia-Version` header or ?cartesia_version=, the query
//     winning); a wrong key -> HTTP 401; no version -> 400; another path -> 404.
//   client -> server (JSON text): a generation request {model_id, transcript, voice:{mode:"id",
//     id}, output_format:{container:"raw", encoding:"pcm_s16le"|"pcm_f32le"|"pcm_mulaw"|
//     "pcm_alaw", sample_rate}, language?, context_id, continue?, ...}: inputs on one context
//     are joined verbatim and spoken once an input has continue false; {context_id, cancel:
//     true}: stop that context (no more chunks, no done).
//   server -> client: {type:"chunk", data:<base64>, done:false, status_code:206, step_time,
//     context_id} (100 ms each, paced a little faster than real time), then {type:"done",
//     done:true, status_code:206, context_id}; errors {type:"error", done:true, status_code,
//     error, context_id}.
import http from "node:http";
import { WebSocketServer } from "ws";

import { cannedSpeech } from "./canned.mjs";
import { synth } from "./lib.mjs";

const ENCODINGS = { pcm_s16le: 2, pcm_mulaw: 1 };

function reject(socket, status, reason, body) {
    const json = JSON.stringify(body);
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n` +
               `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
}

export async function startCartesiaFake({ key = "sk_car_test", paceMs = 80, chunkMs = 100, canned = false } = {}) {
    const speech = canned ? cannedSpeech : synth;
    const sockets = [];
    let mode = null;
    const server = http.createServer((req, res) => {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: "not found" }));
    });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

    server.on("upgrade", (req, socket, head) => {
        const url = new URL(req.url, "http://x");
        const q = url.searchParams;
        const rec = {
            path: url.pathname, query: q, headers: req.headers, received: [], sent: [], contexts: new Map(),
            closedBy: null, opened: Date.now(), mode,
        };
        sockets.push(rec);
        if (mode === "refuse") return socket.destroy();
        if (url.pathname !== "/tts/websocket") return reject(socket, 404, "Not Found", { error: "Not found" });
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization || "")?.[1];
        const given = req.headers["x-api-key"] ?? bearer ?? q.get("api_key");
        if (given !== key) return reject(socket, 401, "Unauthorized", { error: "Invalid API key" });
        rec.version = q.get("cartesia_version") ?? req.headers["cartesia-version"];
        if (!/^\d{4}-\d{2}-\d{2}$/.test(rec.version || ""))
            return reject(socket, 400, "Bad Request", { error: "Cartesia-Version is required" });
        wss.handleUpgrade(req, socket, head, (ws) => serve(ws, rec));
    });

    function serve(ws, rec) {
        rec.ws = ws;
        let anyAudio = false;
        const send = (obj) => {
            if (ws.readyState !== ws.OPEN) return;
            rec.sent.push(obj.data ? { ...obj, data: `<${Buffer.from(obj.data, "base64").length} bytes>` } : obj);
            ws.send(JSON.stringify(obj));
        };
        const error = (contextId, status, message) =>
            send({ type: "error", done: true, status_code: status, error: message, context_id: contextId });

        const speak = async (c) => {
            const { sample_rate: rate, encoding } = c.request.output_format;
            const bytesPerSample = ENCODINGS[encoding];
            const text = c.transcript.trim();
            c.spoken.push(text);
            const pcm = text ? await speech(text, { rate, format: encoding === "pcm_mulaw" ? "mulaw" : "pcm_s16le" }) : Buffer.alloc(0);
            const chunkBytes = Math.round((rate * chunkMs) / 1000) * bytesPerSample;
            for (let off = 0; off < pcm.length; off += chunkBytes) {
                if (ws.readyState !== ws.OPEN || c.cancelled) return;
                if (rec.mode === "close-mid-utterance" && anyAudio) {
                    rec.closedBy = "server";
                    ws.terminate();
                    return;
                }
                c.streaming = true;
                send({ type: "chunk", data: pcm.subarray(off, off + chunkBytes).toString("base64"), done: false,
                       status_code: 206, step_time: 12.5, context_id: c.id });
                c.audioBytes += Math.min(chunkBytes, pcm.length - off);
                anyAudio = true;
                await new Promise((r) => setTimeout(r, paceMs));
            }
            c.streaming = false;
            if (c.cancelled || ws.readyState !== ws.OPEN) return;
            c.done = true;
            send({ type: "done", done: true, status_code: 206, context_id: c.id });
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
                return error(null, 400, "invalid JSON");
            }
            rec.received.push(msg);
            if (rec.mode === "garbage") return ws.send("<html><body>502 Bad Gateway</body></html>");
            if (rec.mode === "payment")
                return error(msg.context_id, 402, "Payment required: your plan's credits are used up");
            const id = msg.context_id;
            let c = rec.contexts.get(id);
            if (msg.cancel) {
                if (c) {
                    c.cancelled = true;
                    c.cancelledWhileStreaming = c.streaming || !c.done;
                }
                return;
            }
            if (rec.mode === "stall") return;
            const f = msg.output_format;
            if (!msg.model_id || typeof msg.transcript !== "string" || msg.voice?.mode !== "id" || !msg.voice?.id ||
                f?.container !== "raw" || !ENCODINGS[f?.encoding] || !f?.sample_rate || !id)
                return error(id, 400, "invalid request: model_id, transcript, voice {mode: id, id}, output_format and context_id are required");
            if (!c) {
                c = { id, request: msg, transcript: "", spoken: [], inputs: [], cancelled: false, done: false,
                      streaming: false, audioBytes: 0 };
                rec.contexts.set(id, c);
            }
            c.inputs.push(msg);
            c.transcript += msg.transcript;  // joined verbatim, as documented
            if (!msg.continue) speak(c);
        });
        ws.on("close", () => {
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
        accepted() { return sockets.filter((s) => s.ws); },
        closeIdleSockets() {
            for (const s of sockets) {
                if (!s.ws || s.ws.readyState !== s.ws.OPEN) continue;
                if ([...s.contexts.values()].some((c) => !c.done && !c.cancelled)) continue;
                s.closedBy = "idle-timeout";
                s.ws.close(1000, "idle timeout");
            }
        },
        async close() {
            for (const c of wss.clients) c.terminate();
            await new Promise((r) => server.close(r));
        },
    };
}
