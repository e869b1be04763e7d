// A local AssemblyAI for the voice tests: Universal Streaming v3 as AssemblyAI documents it
// (assemblyai.com/docs: Streaming API reference, "Message Sequence", "Common session errors
// and closures"; the official SDK's streaming/v3 models), with real recognition of the audio
// it receives (pocketsphinx, through lib.mjs transcribe()) — nothing is scripted (but with
// `canned`, below).
//
//   const aai = await startAssemblyAIFake({ key: "aai-key" });  // aai.url = "http://127.0.0.1:PORT"
//   startAssemblyAIFake({ canned: "i would like to book an appointment" })  // load runs
//                   (bench/providers): that text for every turn heard, no pocketsphinx
//   voxa serve --provider-url assembly-ai=<aai.url>             // Voxa connects to ws://.../v3/ws
//   aai.streams   -> [{ path, query, headers, audioBytes, chunksMs: [], text: [{type,...}], sent: [...],
//                      closedBy, closeCode, mode }]
//   aai.misbehave("refuse" | "close-mid-utterance" | "stall" | "garbage" | null, { afterTurns = 0 })
//                 // the next streams; afterTurns: only once that many turns have ended
//   aai.misbehaveNext(mode, { afterTurns })   // the next stream only (then back to misbehave's)
//   aai.drop()    -> the open streams' sockets are cut now (AssemblyAI dying mid-call)
//   await aai.close();
//
// Protocol, as checked here field by field:
//   upgrade GET /v3/ws?sample_rate=&encoding=pcm_s16le|pcm_mulaw&speech_model=&format_turns=
//     &end_of_turn_confidence_threshold=&min_turn_silence=&max_turn_silence=&keyterms_prompt=<JSON list>
//     with `Authorization: <key>` (the raw key). Another path -> HTTP 404. The key is checked
//     after the upgrade, as AssemblyAI does: a missing or wrong one gets the `Error` frame
//     {type:"Error", error_code:1008, error:"Unauthorized Connection: ..."} and a close 1008
//     with the same text. A sample_rate that is not a positive integer, another encoding or
//     speech model, or a keyterms_prompt that is not a JSON list of strings -> Error + close 3006.
//   client -> server: binary audio of 50 to 1000 ms a message (else Error + close 3007 "Input
//     duration violation: <n> ms. Expected between 50 and 1000 ms"), no faster than real time
//     (3007 "Audio Transmission Rate Exceeded"); text {"type":"ForceEndpoint"|"Terminate"|
//     "KeepAlive"|"UpdateConfiguration"} (anything else: 3006 Invalid JSON / Invalid Message Type).
//   server -> client: Begin {type, id, expires_at} at once; Turn {type, turn_order,
//     turn_is_formatted, end_of_turn, transcript (the finalized words), end_of_turn_confidence,
//     words:[{start, end, text, confidence, word_is_final}], utterance} — partials
//     (end_of_turn false, every word final but the last) while audio flows (half a second in,
//     then every partialEveryMs; at least one before the end of a turn with words); on ForceEndpoint
//     (or Terminate) the end of the turn (end_of_turn true, utterance = transcript), then with
//     format_turns=true the same turn again with turn_is_formatted true (a capital and a full
//     stop); a ForceEndpoint with no turn in progress gets nothing. Terminate -> Termination
//     {type, audio_duration_seconds, session_duration_seconds} and a close 1000.
// Turns end only on ForceEndpoint/Terminate here (AssemblyAI's own silence endpointing needs
// silence Voxa does not send: it stops sending when its VAD ends the utterance).
import { randomUUID } from "node:crypto";
import http from "node:http";
import { WebSocketServer } from "ws";

import { transcribe } from "./lib.mjs";

const MODELS = ["universal-streaming-english", "universal-streaming-multilingual", "universal-3-5-pro",
                "u3-rt-pro", "whisper-rt"];

function format(text) {
    return text ? text[0].toUpperCase() + text.slice(1) + "." : "";
}

export async function startAssemblyAIFake({ key = "aai-test-key", partialEveryMs = 1000, canned = null } = {}) {
    const streams = [];
    let mode = null;
    let afterTurns = 0;
    const next = [];  // misbehaveNext(): one {mode, afterTurns} per coming stream
    const server = http.createServer((req, res) => {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: "Not found" }));
    });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

    server.on("upgrade", (req, socket, head) => {
        const url = new URL(req.url, "http://x");
        const m = next.shift() ?? { mode, afterTurns };
        const rec = {
            path: url.pathname, query: url.searchParams, headers: req.headers, audioBytes: 0, chunksMs: [],
            text: [], sent: [], closedBy: null, closeCode: null, opened: Date.now(), mode: m.mode,
            afterTurns: m.afterTurns ?? 0, turns: 0,
        };
        streams.push(rec);
        if (rec.mode === "refuse") return socket.destroy();  // the connection goes before any answer
        if (url.pathname !== "/v3/ws") {
            const body = JSON.stringify({ error: "Not found" });
            return socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n` +
                              `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        }
        wss.handleUpgrade(req, socket, head, (ws) => serve(ws, rec));
    });

    function serve(ws, rec) {
        const q = rec.query;
        const send = (obj) => {
            if (ws.readyState !== ws.OPEN) return;
            rec.sent.push(obj);
            ws.send(JSON.stringify(obj));
        };
        const fail = (code, error) => {
            send({ type: "Error", error_code: code, error });
            rec.closedBy = "server";
            rec.closeCode = code;
            ws.close(code, error.slice(0, 123));
        };
        const misbehaving = (m) => rec.mode === m && rec.turns >= rec.afterTurns;
        ws.on("close", () => {
            if (!rec.closedBy) rec.closedBy = "client";
            rec.closedAt = Date.now();
        });

        // The session's parameters and key are checked once the socket is open.
        const auth = rec.headers.authorization;
        if (!auth) return fail(1008, "Unauthorized Connection: Missing Authorization header");
        if (auth !== key) return fail(1008, "Unauthorized Connection: Invalid API key");
        const rate = Number(q.get("sample_rate"));
        const encoding = q.get("encoding") || "pcm_s16le";
        if (!Number.isInteger(rate) || rate <= 0) return fail(3006, "Invalid Message: sample_rate must be a positive integer");
        if (!["pcm_s16le", "pcm_mulaw"].includes(encoding)) return fail(3006, `Invalid Message: encoding ${encoding}`);
        if (q.has("speech_model") && !MODELS.includes(q.get("speech_model")))
            return fail(3006, `Invalid Message: speech_model ${q.get("speech_model")}`);
        if (q.has("keyterms_prompt")) {
            let terms;
            try { terms = JSON.parse(q.get("keyterms_prompt")); } catch {}
            if (!Array.isArray(terms) || !terms.every((t) => typeof t === "string"))
                return fail(3006, "Invalid Message: keyterms_prompt must be a JSON list of strings");
        }
        const bytesPerMs = encoding === "pcm_mulaw" ? rate / 1000 : (rate * 2) / 1000;
        const formatTurns = q.get("format_turns") === "true";

        let segment = [];            // audio of the turn in progress
        let segmentBytes = 0;
        let segmentStart = 0;        // ms of stream time where it starts
        let streamMs = 0;
        let turnOrder = 0;
        let lastPartialAt = 0;
        let partial = null;          // the partial recognition running: {bytes, promise, abort}
        let partialSent = false;     // the turn has started (words were sent)
        let gen = 0;
        let busy = Promise.resolve();  // ends of turns and the close, in order
        let closing = false;

        send({ type: "Begin", id: randomUUID(), expires_at: Math.floor(Date.now() / 1000) + 3 * 3600 });

        const wordsOf = (text, { final }) => {
            const list = text ? text.split(" ") : [];
            const span = list.length ? (segmentBytes / bytesPerMs) / list.length : 0;
            return list.map((w, i) => ({
                start: Math.round(segmentStart + i * span), end: Math.round(segmentStart + (i + 1) * span),
                text: w, confidence: 0.93, word_is_final: final || i + 1 < list.length,
            }));
        };
        const turn = (text, { end, formatted = false }) => {
            const words = wordsOf(text, { final: end });
            const transcript = (end ? words : words.slice(0, -1)).map((w) => w.text).join(" ");
            return { type: "Turn", turn_order: turnOrder, turn_is_formatted: formatted, end_of_turn: end,
                     transcript, end_of_turn_confidence: end ? 0.97 : 0.02, words, utterance: end ? transcript : "" };
        };
        const recognise = async (signal) => {
            if (!segmentBytes) return "";
            if (canned !== null) return canned;
            // pocketsphinx runs at 16 kHz; other rates are resampled by sox in transcribe().
            return transcribe(Buffer.concat(segment), rate, { signal });
        };
        const endTurn = async () => {
            ++gen;  // a partial still running for this turn is not sent after its end
            if (!segmentBytes) return;  // no turn in progress: nothing to end
            // A partial over all of the turn's audio is its final text (a streaming recogniser
            // has decoded it already); one over less is dropped, so the final runs alone and
            // the end of the turn comes as soon as on a loaded machine it can.
            let text;
            if (partial && partial.bytes === segmentBytes) {
                text = await partial.promise;
            } else {
                partial?.abort.abort();
                text = await recognise();
            }
            if (text || partialSent) {
                // Words come out while the turn goes on: one partial at least, even when the
                // recognitions for the partials could not keep up with the audio.
                if (!partialSent && text) send(turn(text, { end: false }));
                send(turn(text, { end: true }));
                if (formatTurns) {
                    const t = turn(format(text), { end: true, formatted: true });
                    send(t);
                }
                ++turnOrder;
                ++rec.turns;
            }
            segmentStart += segmentBytes / bytesPerMs;
            segment = [];
            segmentBytes = 0;
            lastPartialAt = 0;
            partialSent = false;
        };

        ws.on("message", (data, isBinary) => {
            if (isBinary) {
                rec.audioBytes += data.length;
                const ms = data.length / bytesPerMs;
                rec.chunksMs.push(ms);
                if (closing) return;
                if (ms < 50 || ms > 1000)
                    return fail(3007, `Input duration violation: ${Math.round(ms)} ms. Expected between 50 and 1000 ms`);
                streamMs += ms;
                const elapsed = Date.now() - rec.opened;
                if (streamMs > elapsed + 1000)
                    return fail(3007, `Audio Transmission Rate Exceeded: Received ${(streamMs / 1000).toFixed(1)} sec. audio in ${(elapsed / 1000).toFixed(1)} sec`);
                if (misbehaving("close-mid-utterance") && segmentBytes > 500 * bytesPerMs) {
                    rec.closedBy = "server";
                    ws.terminate();  // no close frame: the socket just goes, mid-utterance
                    return;
                }
                if (misbehaving("stall")) return;  // takes audio, never answers
                if (misbehaving("garbage")) {
                    ws.send("<html>502 Bad Gateway</html>");
                    return;
                }
                segment.push(Buffer.from(data));
                segmentBytes += data.length;
                // One partial recognition at a time, never queued: a ForceEndpoint is answered
                // as soon as the one running (if any) is done.
                // The first partial half a second into the turn, then one every partialEveryMs.
                const due = lastPartialAt ? partialEveryMs : Math.min(500, partialEveryMs);
                if (!partial && segmentBytes - lastPartialAt >= due * bytesPerMs) {
                    lastPartialAt = segmentBytes;
                    const abort = new AbortController();
                    const mine = { bytes: segmentBytes, abort, promise: recognise(abort.signal).catch(() => "") };
                    partial = mine;
                    const g = gen;
                    mine.promise.then((text) => {
                        if (partial === mine) partial = null;
                        if (!text || closing || g !== gen) return;
                        partialSent = true;
                        send(turn(text, { end: false }));
                    });
                }
                return;
            }
            const raw = data.toString("utf8");
            let msg;
            try {
                msg = JSON.parse(raw);
            } catch {
                rec.text.push({ invalid: raw });
                return fail(3006, `Invalid JSON: ${raw.slice(0, 60)}`);
            }
            rec.text.push(msg);
            if (misbehaving("stall")) return;
            switch (msg?.type) {
                case "KeepAlive":
                case "UpdateConfiguration":
                    return;
                case "ForceEndpoint":
                    busy = busy.then(endTurn);
                    return;
                case "Terminate":
                    closing = true;
                    busy = busy.then(async () => {
                        await endTurn();
                        send({ type: "Termination", audio_duration_seconds: Math.round(streamMs / 1000),
                               session_duration_seconds: Math.round((Date.now() - rec.opened) / 1000) });
                        rec.closedBy = "Terminate";
                        rec.closeCode = 1000;
                        ws.close(1000);
                    });
                    return;
                default:
                    return fail(3006, `Invalid Message Type: ${String(msg?.type).slice(0, 60)}`);
            }
        });
    }

    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${server.address().port}`;
    return {
        url,
        streams,
        misbehave(m, opts = {}) {
            mode = m;
            afterTurns = opts.afterTurns ?? 0;
        },
        misbehaveNext(m, opts = {}) {
            next.push({ mode: m, afterTurns: opts.afterTurns ?? 0 });
        },
        /** AssemblyAI goes away mid-call: every open stream's socket is cut (no close frame). */
        drop() {
            for (const s of streams) if (!s.closedBy) s.closedBy = "server";
            for (const c of wss.clients) c.terminate();
        },
        /** The streams that got past the key check (right path and key). */
        accepted() { return streams.filter((s) => s.path === "/v3/ws" && s.headers.authorization === key); },
        async close() {
            for (const c of wss.clients) c.terminate();
            await new Promise((r) => server.close(r));
        },
    };
}
