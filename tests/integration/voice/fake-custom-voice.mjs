// A customer's TTS server for the custom-voice tests, following Vapi's documented protocol
// (CustomVoice.server; docs.vapi.ai "Custom TTS integration"): one POST per utterance with
// Content-Type: application/json and the body {"message": {"type": "voice-request", "text",
// "sampleRate", ...call metadata}}; the answer is 200 with 1-channel 16-bit little-endian
// raw PCM at sampleRate, chunked. The speech is real: flite (lib.mjs synth) says the text.
//
//   const tts = await startCustomVoiceFake({ secret: "s3cret" });   // tts.url
//   startCustomVoiceFake({ canned: true })   // load runs (bench/providers): a tone, no flite
//   tts.requests   -> [{ headers, body, text, aborted, status }]
//   tts.misbehave("500" | "stall" | "refuse" | "cut" | null, { after: 1 })   // from request after+1 on
//     ("cut": 40 % of the audio, then the connection is cut in the middle of the body)
//   await tts.close();
// Audio is streamed at about twice real time in 100 ms chunks, so a barge-in can abort it.
import http from "node:http";

import { cannedSpeech } from "./canned.mjs";
import { synth, sleep } from "./lib.mjs";

export async function startCustomVoiceFake({ secret = null, chunkMs = 100, speedup = 2, canned = false } = {}) {
    const speech = canned ? cannedSpeech : synth;
    const requests = [];
    let mode = null;
    let after = 0;
    const server = http.createServer(async (req, res) => {
        const rec = { headers: req.headers, method: req.method, path: req.url, body: null, text: null,
                      aborted: false, status: 0, bytes: 0 };
        requests.push(rec);
        const bad = (status, msg) => {
            rec.status = status;
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(JSON.stringify({ error: msg }));
        };
        const failing = mode && requests.length > after;
        if (failing && mode === "refuse") return req.socket.destroy();
        let raw = "";
        for await (const c of req) raw += c;
        try {
            rec.body = JSON.parse(raw);
        } catch {
            return bad(400, "body is not JSON");
        }
        res.on("close", () => { if (!res.writableFinished) rec.aborted = true; });
        if (req.method !== "POST") return bad(405, "POST only");
        if (secret && req.headers["x-vapi-secret"] !== secret) return bad(401, "bad secret");
        const m = rec.body?.message;
        if (m?.type !== "voice-request" || typeof m.text !== "string" || !Number.isInteger(m.sampleRate))
            return bad(400, "not a voice-request");
        rec.text = m.text;
        if (failing && mode === "500") return bad(500, "synthesis backend down");
        if (failing && mode === "stall") return;  // takes the request, never answers
        const pcm = await speech(m.text, { rate: m.sampleRate });
        rec.status = 200;
        res.writeHead(200, { "Content-Type": "audio/raw" });  // chunked: no Content-Length
        const step = Math.round((m.sampleRate * chunkMs) / 1000) * 2;
        for (let off = 0; off < pcm.length && !rec.aborted; off += step) {
            if (failing && mode === "cut" && off >= pcm.length * 0.4) {
                rec.status = "cut";
                return res.socket.destroy();
            }
            res.write(pcm.subarray(off, off + step));
            rec.bytes += Math.min(step, pcm.length - off);
            await sleep(chunkMs / speedup);
        }
        res.end();
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    return {
        url: `http://127.0.0.1:${server.address().port}`,
        requests,
        misbehave(m, opts = {}) { mode = m; after = opts.after ?? requests.length; },
        async close() {
            server.closeAllConnections();
            await new Promise((r) => server.close(r));
        },
    };
}
