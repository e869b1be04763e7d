// A local Deepgram for the voice tests: the live streaming API as Deepgram documents it
// (developers.deepgram.com: "Live audio" / listen, KeepAlive, Finalize, CloseStream,
// UtteranceEnd, SpeechStarted), with real recognition of the audio it receives
// (pocketsphinx, through lib.mjs transcribe()) — nothing is scripted
// (but with `canned`, below).
//
//   const dg = await startDeepgramFake({ key: "dg-key" });   // dg.url = "http://127.0.0.1:PORT"
//   startDeepgramFake({ canned: "i would like to book an appointment" })  // load runs
//                   (bench/providers): that text for every utterance heard, no pocketsphinx
//   voxa serve --provider-url deepgram=<dg.url>              // Voxa connects to ws://.../v1/listen
//   dg.streams      -> [{ path, query, headers, audioBytes, text: [{type,...}], sent: [...], closedBy }]
//   dg.misbehave("refuse" | "close-mid-utterance" | "stall" | "garbage" | null)   // next streams
//   dg.drop()       -> the open streams' sockets are cut now (Deepgram dying mid-call)
//   await dg.close();
//   startDeepgramFake({ key, speak: deepgramSpeak({ key }) })   // also serves /v1/speak (Aura,
//                                                               // fake-deepgram-speak.mjs)
//
// Protocol, as checked here field by field:
//   upgrade GET /v1/listen?model=&language=&encoding=linear16&sample_rate=&channels=1&...
//     with `Authorization: Token <key>`; a wrong or missing key -> HTTP 401 with Deepgram's
//     error body {err_code:"INVALID_AUTH", err_msg, request_id}; another path -> 404; an
//     encoding other than linear16/mulaw, or no sample_rate -> 400 (err_code "Bad Request").
//   client -> server: binary audio; text {"type":"KeepAlive"|"Finalize"|"CloseStream"}.
//   server -> client: Results {type, channel_index:[0,1], duration, start, is_final,
//     speech_final, from_finalize, channel:{alternatives:[{transcript, confidence, words:[]}]},
//     metadata:{request_id, model_info, model_uuid}}; interim ones (is_final false) while audio
//     flows when interim_results=true; on Finalize a final one with from_finalize true;
//     SpeechStarted {type, channel:[0,1], timestamp} on the first voiced audio of an utterance
//     when vad_events=true; UtteranceEnd {type, channel:[0,1], last_word_end} after a final when
//     utterance_end_ms is set; Metadata {type, transaction_key, request_id, sha256, created,
//     duration, channels} on CloseStream, then a normal close.
// smart_format / punctuate: the recognised words get a capital and a full stop, as Deepgram's
// formatting would give them.
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import { WebSocketServer } from "ws";

import { transcribe } from "./lib.mjs";

const BYTES_PER_SECOND_16K = 32000;

function rmsOf(pcm) {
    let sum = 0;
    const n = pcm.length >> 1;
    for (let i = 0; i < n; i++) {
        const s = pcm.readInt16LE(i * 2);
        sum += s * s;
    }
    return n ? Math.sqrt(sum / n) : 0;
}

function format(text, query) {
    if (!text) return "";
    if (query.get("smart_format") !== "true" && query.get("punctuate") !== "true") return text;
    return text[0].toUpperCase() + text.slice(1) + ".";
}

function reject(socket, status, reason, body) {
    const json = JSON.stringify(body);
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n` +
               `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
}

export async function startDeepgramFake({ key = "dg-test-key", interimEveryMs = 1000, speak = null, canned = null } = {}) {
    const streams = [];
    let mode = null;
    const server = http.createServer((req, res) => {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ err_code: "NOT_FOUND", err_msg: "not a WebSocket request" }));
    });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

    server.on("upgrade", (req, socket, head) => {
        const url = new URL(req.url, "http://x");
        if (speak && url.pathname === "/v1/speak") return speak.upgrade(req, socket, head);
        const requestId = randomUUID();
        const record = {
            path: url.pathname, query: url.searchParams, headers: req.headers, requestId,
            audioBytes: 0, text: [], sent: [], closedBy: null, opened: Date.now(), mode,
        };
        streams.push(record);
        if (mode === "refuse") return socket.destroy();  // the connection goes before any answer
        if (url.pathname !== "/v1/listen")
            return reject(socket, 404, "Not Found", { err_code: "NOT_FOUND", err_msg: "Not found.", request_id: requestId });
        if (req.headers.authorization !== `Token ${key}`)
            return reject(socket, 401, "Unauthorized", { err_code: "INVALID_AUTH", err_msg: "Invalid credentials.", request_id: requestId });
        const q = url.searchParams;
        if (!["linear16", "mulaw"].includes(q.get("encoding") || "linear16") || !q.get("sample_rate") || !q.get("model"))
            return reject(socket, 400, "Bad Request", { err_code: "Bad Request", err_msg: "encoding, sample_rate and model are required for raw audio", request_id: requestId });
        wss.handleUpgrade(req, socket, head, (ws) => serve(ws, record));
    });

    function serve(ws, rec) {
        const q = rec.query;
        const rate = Number(q.get("sample_rate"));
        const bytesPerSecond = q.get("encoding") === "mulaw" ? rate : rate * 2;
        let segment = [];            // audio of the current utterance
        let segmentBytes = 0;
        let streamBytes = 0;         // all audio so far (stream time)
        let segmentStartBytes = 0;
        let speechStarted = false;
        let lastInterimAt = 0;
        let interimRunning = false;
        let busy = Promise.resolve();  // finals and the close, in order (interims run beside)
        let segmentGen = 0;
        let closing = false;
        const send = (obj) => {
            if (ws.readyState !== ws.OPEN) return;
            rec.sent.push(obj);
            ws.send(JSON.stringify(obj));
        };
        const results = (transcript, { isFinal, fromFinalize = false }) => ({
            type: "Results",
            channel_index: [0, 1],
            duration: segmentBytes / bytesPerSecond,
            start: segmentStartBytes / bytesPerSecond,
            is_final: isFinal,
            speech_final: isFinal,
            from_finalize: fromFinalize,
            channel: { alternatives: [{ transcript, confidence: transcript ? 0.93 : 0, words: [] }] },
            metadata: { request_id: rec.requestId, model_info: { name: q.get("model"), version: "fake", arch: "fake" },
                        model_uuid: "00000000-0000-0000-0000-000000000000" },
        });
        const recognise = async () => {
            if (!segmentBytes) return "";
            if (canned !== null) return format(canned, q);
            const pcm = Buffer.concat(segment);
            // pocketsphinx runs at 16 kHz; linear16 at other rates is resampled by sox in transcribe().
            return format(await transcribe(pcm, rate), q);
        };
        const finalizeSegment = async (fromFinalize) => {
            ++segmentGen;  // an interim still running for this segment is not sent after its final
            const text = await recognise();
            send(results(text, { isFinal: true, fromFinalize }));
            if (text && q.get("utterance_end_ms"))
                send({ type: "UtteranceEnd", channel: [0, 1], last_word_end: (segmentStartBytes + segmentBytes) / bytesPerSecond });
            segmentStartBytes += segmentBytes;
            segment = [];
            segmentBytes = 0;
            speechStarted = false;
        };

        ws.on("message", (data, isBinary) => {
            if (isBinary) {
                rec.audioBytes += data.length;
                if (closing) return;
                if (rec.mode === "close-mid-utterance" && rec.audioBytes > bytesPerSecond / 2) {
                    rec.closedBy = "server";
                    ws.terminate();  // no close frame: the socket just goes, mid-utterance
                    return;
                }
                if (rec.mode === "stall") return;  // takes audio, never answers
                if (rec.mode === "garbage") {
                    ws.send("<html>502 Bad Gateway</html>");
                    return;
                }
                segment.push(Buffer.from(data));
                segmentBytes += data.length;
                streamBytes += data.length;
                if (!speechStarted && q.get("vad_events") === "true" && rmsOf(data) > 300) {
                    speechStarted = true;
                    send({ type: "SpeechStarted", channel: [0, 1], timestamp: (streamBytes - data.length) / bytesPerSecond });
                }
                // One interim recognition at a time, never queued: a Finalize is answered as
                // soon as the one running (if any) is done, as Deepgram answers it at once.
                if (q.get("interim_results") === "true" && !interimRunning &&
                    segmentBytes - lastInterimAt >= (interimEveryMs / 1000) * bytesPerSecond) {
                    lastInterimAt = segmentBytes;
                    interimRunning = true;
                    const gen = segmentGen;
                    recognise().then((text) => {
                        interimRunning = false;
                        if (text && !closing && segmentBytes && gen === segmentGen) send(results(text, { isFinal: false }));
                    });
                }
                return;
            }
            let msg;
            try {
                msg = JSON.parse(data.toString("utf8"));
            } catch {
                rec.text.push({ invalid: data.toString("utf8") });
                return;
            }
            rec.text.push(msg);
            if (msg.type === "KeepAlive") return;  // no answer, as documented
            if (rec.mode === "stall") return;
            if (msg.type === "Finalize") {
                // Answered at once, as Deepgram does: not behind an interim recognition still
                // running (on a loaded machine that wait alone could pass Voxa's 5 s bound).
                lastInterimAt = 0;
                busy = busy.then(() => finalizeSegment(true));
            } else if (msg.type === "CloseStream") {
                closing = true;
                busy = busy.then(async () => {
                    if (segmentBytes) await finalizeSegment(false);
                    send({ type: "Metadata", transaction_key: "deprecated", request_id: rec.requestId,
                           sha256: createHash("sha256").update(String(streamBytes)).digest("hex"),
                           created: new Date().toISOString(), duration: streamBytes / bytesPerSecond, channels: 1 });
                    rec.closedBy = "CloseStream";
                    ws.close(1000);
                });
            }
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
        streams,
        misbehave(m) { mode = m; },
        /** Deepgram goes away mid-call: every open stream's socket is cut (no close frame). */
        drop() {
            for (const s of streams) if (!s.closedBy) s.closedBy = "server";
            for (const c of wss.clients) c.terminate();
        },
        /** The streams that got past the upgrade (authorised, right path). */
        accepted() { return streams.filter((s) => s.path === "/v1/listen" && s.headers.authorization === `Token ${key}`); },
        async close() {
            for (const c of wss.clients) c.terminate();
            speak?.close();
            await new Promise((r) => server.close(r));
        },
    };
}
