// A customer's transcriber for the custom-transcriber tests, following Vapi's documented
// protocol (CustomTranscriber.server; docs.vapi.ai "Custom transcriber"): Vapi opens a
// WebSocket to server.url (with x-vapi-secret when server.secret is set, and server.headers),
// sends {"type":"start","encoding":"linear16","container":"raw","sampleRate":N,"channels":2}
// first, then binary 16-bit PCM, stereo interleaved, the customer on channel 0 and the
// assistant on channel 1; the server answers with
// {"type":"transcriber-response","transcription":"...","channel":"customer"|"assistant"}.
// The recognition is real: each channel is cut into utterances by its loudness (an utterance
// ends after 500 ms quiet) and recognised with pocketsphinx (lib.mjs transcribe), as the
// Deepgram fake does — nothing is scripted (but with `canned`, below).
//
//   const ct = await startCustomTranscriberFake({ secret: "s3cret" });   // ct.url = "ws://127.0.0.1:PORT/transcriber"
//   startCustomTranscriberFake({ canned: "i would like to book an appointment" })  // load runs
//                   (bench/providers): that text for every utterance heard, no pocketsphinx
//   ct.sockets -> [{ path, headers, start, received: [text msg], sent: [msg], customerBytes,
//                    assistantBytes, oddFrames, errors: [text], closedBy }]
//   ct.assistantPcm(sock), ct.customerPcm(sock)   // what arrived on each channel (s16le mono)
//   ct.misbehave("refuse" | "close-mid-utterance" | "stall" | "garbage" | null)   // at once, open sockets too
//     (refuse: the connection goes at the upgrade; close-mid-utterance: cut, no close frame, as
//     soon as the customer channel turns loud; stall: hears all, answers nothing; garbage: HTML
//     instead of the customer's first transcription)
//   ct.drop()      // every open socket is cut now (the server dying mid-call)
//   await ct.close();
// A wrong or missing secret -> HTTP 401; another path -> 404; a first message that is not a
// valid start, or audio before it -> the socket is closed with 1008 (recorded in errors).
import http from "node:http";
import { WebSocketServer } from "ws";

import { rms, transcribe } from "./lib.mjs";

const PATH = "/transcriber";
const VOICED_RMS = 300;
const END_QUIET_MS = 500;
const PREROLL_MS = 200;

function reject(socket, status, reason, body) {
    const json = JSON.stringify(body);
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n` +
               `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
}

/** Cuts one channel into utterances by loudness; calls onUtterance(pcm) for each. */
function endpointer(rate, onUtterance) {
    const frameBytes = (rate / 50) * 2;
    let carry = Buffer.alloc(0);
    let recent = [];        // the last frames before speech (pre-roll)
    let speech = null;      // frames of the utterance in progress
    let quietMs = 0;
    return {
        get speaking() { return speech !== null; },
        push(pcm) {
            carry = Buffer.concat([carry, pcm]);
            let off = 0;
            for (; off + frameBytes <= carry.length; off += frameBytes) {
                const frame = carry.subarray(off, off + frameBytes);
                const voiced = rms(frame) > VOICED_RMS;
                if (!speech) {
                    recent.push(frame);
                    if (recent.length > PREROLL_MS / 20) recent.shift();
                    if (voiced) {
                        speech = [...recent];
                        recent = [];
                        quietMs = 0;
                    }
                    continue;
                }
                speech.push(frame);
                quietMs = voiced ? 0 : quietMs + 20;
                if (quietMs >= END_QUIET_MS) {
                    onUtterance(Buffer.concat(speech));
                    speech = null;
                }
            }
            carry = Buffer.from(carry.subarray(off));
        },
    };
}

export async function startCustomTranscriberFake({ secret = null, canned = null } = {}) {
    const sockets = [];
    let mode = null;
    const server = http.createServer((req, res) => {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: "not a WebSocket request" }));
    });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

    server.on("upgrade", (req, socket, head) => {
        const url = new URL(req.url, "http://x");
        const rec = { path: url.pathname, headers: req.headers, start: null, received: [], sent: [], customer: [],
                      assistant: [], customerBytes: 0, assistantBytes: 0, oddFrames: 0, errors: [], closedBy: null,
                      opened: Date.now() };
        sockets.push(rec);
        if (mode === "refuse") return socket.destroy();
        if (url.pathname !== PATH) return reject(socket, 404, "Not Found", { error: "Not found" });
        if (secret !== null && req.headers["x-vapi-secret"] !== secret)
            return reject(socket, 401, "Unauthorized", { error: "invalid secret" });
        wss.handleUpgrade(req, socket, head, (ws) => serve(ws, rec));
    });

    function serve(ws, rec) {
        rec.ws = ws;
        let chains = { customer: Promise.resolve(), assistant: Promise.resolve() };
        const send = (obj) => {
            if (ws.readyState !== ws.OPEN) return;
            rec.sent.push(obj);
            ws.send(JSON.stringify(obj));
        };
        const protocolError = (why) => {
            rec.errors.push(why);
            rec.closedBy = "server";
            ws.close(1008, why.slice(0, 100));
        };
        let ep = null;
        const answer = (channel) => (pcm) => {
            if (mode === "stall") return;  // hears everything, never answers
            if (mode === "garbage" && channel === "customer") {
                ws.send("<html><body>502 Bad Gateway</body></html>");
                return;
            }
            // In order per channel; pocketsphinx runs beside the stream.
            chains[channel] = chains[channel].then(async () => {
                const text = canned ?? await transcribe(pcm, rec.start.sampleRate);
                if (text) send({ type: "transcriber-response", transcription: text, channel });
            });
        };

        ws.on("message", (data, isBinary) => {
            if (!isBinary) {
                const text = data.toString("utf8");
                let msg;
                try {
                    msg = JSON.parse(text);
                } catch {
                    rec.received.push({ invalid: text });
                    return protocolError("a text message that is not JSON");
                }
                rec.received.push(msg);
                if (rec.start) return;  // nothing else is documented: recorded
                const ok = msg.type === "start" && msg.encoding === "linear16" && msg.container === "raw" &&
                    Number.isInteger(msg.sampleRate) && msg.sampleRate >= 8000 && msg.channels === 2;
                if (!ok) return protocolError(`not a valid start message: ${text}`);
                rec.start = msg;
                ep = { customer: endpointer(msg.sampleRate, answer("customer")),
                       assistant: endpointer(msg.sampleRate, answer("assistant")) };
                return;
            }
            if (!rec.start) return protocolError("audio before the start message");
            if (data.length % 4) rec.oddFrames++;  // stereo s16: whole frames of 4 bytes
            const frames = Math.floor(data.length / 4);
            const customer = Buffer.alloc(frames * 2), assistant = Buffer.alloc(frames * 2);
            for (let i = 0; i < frames; i++) {
                customer.writeInt16LE(data.readInt16LE(i * 4), i * 2);
                assistant.writeInt16LE(data.readInt16LE(i * 4 + 2), i * 2);
            }
            rec.customer.push(customer);
            rec.assistant.push(assistant);
            rec.customerBytes += customer.length;
            rec.assistantBytes += assistant.length;
            ep.customer.push(customer);
            ep.assistant.push(assistant);
            if (mode === "close-mid-utterance" && ep.customer.speaking) {
                rec.closedBy = "server";
                ws.terminate();  // no close frame: the socket just goes, while the customer talks
            }
        });
        ws.on("close", () => {
            if (!rec.closedBy) rec.closedBy = "client";
            rec.closedAt = Date.now();
        });
    }

    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const base = `127.0.0.1:${server.address().port}`;
    return {
        url: `ws://${base}${PATH}`,
        httpUrl: `http://${base}${PATH}`,
        sockets,
        misbehave(m) { mode = m; },
        accepted() { return sockets.filter((s) => s.ws); },
        customerPcm: (s) => Buffer.concat(s.customer),
        assistantPcm: (s) => Buffer.concat(s.assistant),
        /** Transcriptions sent for a channel. */
        said: (s, channel) => s.sent.filter((m) => m.channel === channel).map((m) => m.transcription),
        drop() {
            for (const s of sockets) if (s.ws && !s.closedBy) s.closedBy = "server";
            for (const c of wss.clients) c.terminate();
        },
        async close() {
            for (const c of wss.clients) c.terminate();
            await new Promise((r) => server.close(r));
        },
    };
}
