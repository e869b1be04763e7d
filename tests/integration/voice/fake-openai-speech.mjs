// A local OpenAI Audio API for the voice tests: transcriptions and speech as OpenAI documents
// them (platform.openai.com/docs/api-reference/audio: createTranscription, createSpeech, and
// the transcription stream events), with real recognition and real speech — nothing canned
// (but with `canned`, below): the WAV it is sent is recognised with pocketsphinx (lib.mjs
// transcribe(), as fake-deepgram.mjs does), the text it is sent is spoken by flite (lib.mjs
// synth()).
//
//   const oa = await startOpenAISpeechFake({ key: "sk-right" });   // oa.url = "http://127.0.0.1:PORT/v1"
//   startOpenAISpeechFake({ canned: "i would like to book an appointment" })  // load runs
//                   (bench/providers): that text for every transcription, a tone for speech
//   voxa serve --provider-url openai=<oa.url>                      // the API root, as for the chat model
//   oa.transcriptions -> [{ headers, fields: {model, language, response_format, stream, ...},
//                          wav: {sampleRate, channels, bitsPerSample, seconds}, text, status,
//                          sent: [events], aborted }]
//   oa.speech         -> [{ headers, body, status, bytes, aborted }]
//   oa.misbehave("refuse" | "cut" | "stall" | "garbage" | null, { endpoint: "speech" |
//                "transcriptions" (default both), after: n (requests of that endpoint answered
//                normally first; default: those so far) })
//   await oa.close();
//
// Protocol, as checked here field by field:
//   every request: `Authorization: Bearer <key>`; a wrong or missing key -> 401
//     {"error":{"message":"Incorrect API key provided: ...","type":"invalid_request_error",
//     "param":null,"code":"invalid_api_key"}}; another path -> 404 (OpenAI's error shape).
//   POST /v1/audio/transcriptions, multipart/form-data: file (required; here a WAV: RIFF, PCM,
//     16-bit; its rate and channels recorded), model (gpt-4o-transcribe,
//     gpt-4o-mini-transcribe, whisper-1), language (ISO-639-1, optional), prompt (optional),
//     response_format (json | text; verbose_json, srt, vtt for whisper-1 only), stream
//     (true | false). Less than 0.1 s of audio -> 400 audio_too_short. Answer: stream=true on a
//     gpt-4o model -> text/event-stream, one `data: {"type":"transcript.text.delta","delta"}`
//     per word, then `data: {"type":"transcript.text.done","text","usage"}`; otherwise
//     application/json {"text","usage"}. The text is punctuated (a capital, a full stop), as
//     the gpt-4o models write it.
//   POST /v1/audio/speech, application/json {model (tts-1, tts-1-hd, gpt-4o-mini-tts), input
//     (1-4096 characters), voice (OpenAI's voices), instructions (gpt-4o-mini-tts only),
//     response_format (here: pcm, the only one spoken), speed (0.25-4)} -> 200, chunked raw
//     24 kHz signed 16-bit little-endian mono PCM, 100 ms chunks paced at `speedup` x real
//     time (1: a barge-in cuts it; the client closing the connection is recorded as aborted).
// Misbehaviour: "refuse" (the connection is closed before any answer), "cut" (the connection
// is cut mid-answer: after 40 % of the audio, or after the first delta), "stall" (the request
// is taken, never answered), "garbage" (200 with an HTML page).
import http from "node:http";

import { cannedSpeech } from "./canned.mjs";
import { parseWav, sleep, synth, transcribe } from "./lib.mjs";

const TRANSCRIBE_MODELS = ["gpt-4o-transcribe", "gpt-4o-mini-transcribe", "whisper-1"];
const SPEECH_MODELS = ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"];
const VOICES = ["alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse",
                "marin", "cedar"];
const SPEECH_RATE = 24000;

const openaiError = (message, { type = "invalid_request_error", param = null, code = null } = {}) =>
    ({ error: { message, type, param, code } });

function punctuate(text) {
    return text ? text[0].toUpperCase() + text.slice(1) + "." : "";
}

export async function startOpenAISpeechFake({ key = "sk-test-key", speedup = 1, chunkMs = 100, canned = null } = {}) {
    const speak = canned !== null ? cannedSpeech : synth;
    const transcriptions = [];
    const speech = [];
    const modes = { transcriptions: null, speech: null };
    const after = { transcriptions: 0, speech: 0 };

    const server = http.createServer(async (req, res) => {
        const url = new URL(req.url, "http://x");
        const json = (status, body, rec) => {
            if (rec) rec.status = status;
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(JSON.stringify(body));
        };
        const which = url.pathname === "/v1/audio/transcriptions" ? "transcriptions"
                    : url.pathname === "/v1/audio/speech" ? "speech" : null;
        if (!which || req.method !== "POST") {
            for await (const _ of req);
            return json(404, openaiError(`Invalid URL (${req.method} ${url.pathname})`));
        }
        const list = which === "speech" ? speech : transcriptions;
        const rec = { headers: req.headers, status: 0, aborted: false, at: Date.now() };
        list.push(rec);
        const misbehaving = list.length > after[which] ? modes[which] : null;
        rec.mode = misbehaving;
        if (misbehaving === "refuse") return req.socket.destroy();
        const chunks = [];
        for await (const c of req) chunks.push(c);
        const raw = Buffer.concat(chunks);
        res.on("close", () => { if (!res.writableFinished) rec.aborted = true; });
        if (req.headers.authorization !== `Bearer ${key}`) {
            const given = (req.headers.authorization || "").replace(/^Bearer\s+/, "");
            const shown = given.length > 8 ? `${given.slice(0, 3)}*****${given.slice(-4)}` : given;
            return json(401, openaiError(`Incorrect API key provided: ${shown}. You can find your API key at ` +
                                         "https://platform.openai.com/account/api-keys.", { code: "invalid_api_key" }), rec);
        }
        if (misbehaving === "stall") return;  // taken, never answered
        if (misbehaving === "garbage") {
            rec.status = 200;
            res.writeHead(200, { "Content-Type": "text/html" });
            return res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
        }
        if (which === "transcriptions") return serveTranscription(req, raw, rec, res, json, misbehaving);
        return serveSpeech(req, raw, rec, res, json, misbehaving);
    });

    async function serveTranscription(req, raw, rec, res, json, misbehaving) {
        const ct = req.headers["content-type"] || "";
        if (!/^multipart\/form-data;\s*boundary=/.test(ct))
            return json(400, openaiError("Invalid Content-Type header: expected multipart/form-data"), rec);
        let form;
        try {
            form = await new Response(raw, { headers: { "content-type": ct } }).formData();
        } catch (e) {
            return json(400, openaiError(`Could not parse multipart form: ${e.message}`), rec);
        }
        rec.fields = {};
        for (const [name, value] of form.entries()) if (typeof value === "string") rec.fields[name] = value;
        const file = form.get("file");
        const f = rec.fields;
        if (!file || typeof file === "string")
            return json(400, openaiError("Missing required parameter: 'file'.", { param: "file" }), rec);
        rec.filename = file.name;
        if (!TRANSCRIBE_MODELS.includes(f.model))
            return json(400, openaiError(`Invalid model: ${f.model}`, { param: "model" }), rec);
        if (f.language !== undefined && !/^[a-z]{2}$/.test(f.language))
            return json(400, openaiError(`Invalid language '${f.language}'. Language parameter must be specified in ISO-639-1 format.`,
                                         { param: "language", code: "invalid_language_format" }), rec);
        const formats = f.model === "whisper-1" ? ["json", "text", "srt", "verbose_json", "vtt"] : ["json", "text"];
        const format = f.response_format ?? "json";
        if (!formats.includes(format))
            return json(400, openaiError(`response_format '${format}' is not compatible with model '${f.model}'.`,
                                         { param: "response_format", code: "unsupported_value" }), rec);
        if (f.stream !== undefined && !["true", "false"].includes(f.stream))
            return json(400, openaiError("stream must be a boolean", { param: "stream" }), rec);
        const bytes = Buffer.from(await file.arrayBuffer());
        let wav;
        try {
            wav = parseWav(bytes);
        } catch (e) {
            return json(400, openaiError(`Invalid file format. ${e.message}`, { param: "file", code: "invalid_value" }), rec);
        }
        if (wav.format !== 1 || wav.bitsPerSample !== 16)
            return json(400, openaiError("Invalid file format: 16-bit PCM expected by this fake", { param: "file" }), rec);
        const seconds = wav.dataBytes / (wav.sampleRate * wav.channels * 2);
        rec.wav = { sampleRate: wav.sampleRate, channels: wav.channels, bitsPerSample: wav.bitsPerSample, seconds };
        if (seconds < 0.1)
            return json(400, openaiError("Audio file is too short. Minimum audio length is 0.1 seconds.",
                                         { param: "file", code: "audio_too_short" }), rec);
        const pcm = bytes.subarray(wav.dataOffset, wav.dataOffset + wav.dataBytes);
        if (wav.channels !== 1) return json(400, openaiError("mono audio expected by this fake", { param: "file" }), rec);
        const text = punctuate(canned ?? await transcribe(pcm, wav.sampleRate));
        rec.text = text;
        const usage = f.model === "whisper-1" ? { type: "duration", seconds: Math.ceil(seconds) }
            : { type: "tokens", input_tokens: Math.ceil(seconds * 10), output_tokens: text.split(" ").length,
                total_tokens: Math.ceil(seconds * 10) + text.split(" ").length };
        rec.sent = [];
        if (f.stream === "true" && f.model !== "whisper-1") {  // whisper-1 ignores stream
            rec.status = 200;
            res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache" });
            const words = text.split(" ").filter(Boolean);
            for (let i = 0; i < words.length && !rec.aborted; i++) {
                const ev = { type: "transcript.text.delta", delta: (i ? " " : "") + words[i], logprobs: [] };
                rec.sent.push(ev);
                res.write(`data: ${JSON.stringify(ev)}\n\n`);
                if (misbehaving === "cut") {
                    rec.status = "cut";
                    await sleep(50);
                    return res.socket.destroy();
                }
                await sleep(30);
            }
            const done = { type: "transcript.text.done", text, logprobs: [], usage };
            rec.sent.push(done);
            return res.end(`data: ${JSON.stringify(done)}\n\n`);
        }
        if (misbehaving === "cut") {
            rec.status = "cut";
            res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "200" });
            res.write(`{"text":"${text.slice(0, 5)}`);
            await sleep(50);
            return res.socket.destroy();
        }
        if (format === "text") {
            rec.status = 200;
            res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
            return res.end(text);
        }
        return json(200, { text, usage }, rec);
    }

    async function serveSpeech(req, raw, rec, res, json, misbehaving) {
        if (!/^application\/json/.test(req.headers["content-type"] || ""))
            return json(400, openaiError("Content-Type must be application/json"), rec);
        let b;
        try {
            b = JSON.parse(raw.toString("utf8"));
        } catch {
            return json(400, openaiError("We could not parse the JSON body of your request."), rec);
        }
        rec.body = b;
        for (const k of Object.keys(b))
            if (!["model", "input", "voice", "instructions", "response_format", "speed", "stream_format"].includes(k))
                return json(400, openaiError(`Unrecognized request argument supplied: ${k}`), rec);
        if (!SPEECH_MODELS.includes(b.model)) return json(400, openaiError(`Invalid model: ${b.model}`, { param: "model" }), rec);
        if (typeof b.input !== "string" || !b.input.length || [...b.input].length > 4096)
            return json(400, openaiError("input must be 1 to 4096 characters", { param: "input" }), rec);
        if (!VOICES.includes(b.voice)) return json(400, openaiError(`Invalid voice: ${b.voice}`, { param: "voice" }), rec);
        if (b.instructions !== undefined && b.model !== "gpt-4o-mini-tts")
            return json(400, openaiError(`instructions are not supported with model ${b.model}`, { param: "instructions" }), rec);
        if (b.speed !== undefined && !(typeof b.speed === "number" && b.speed >= 0.25 && b.speed <= 4))
            return json(400, openaiError("speed must be between 0.25 and 4.0", { param: "speed" }), rec);
        if ((b.response_format ?? "mp3") !== "pcm")
            return json(400, openaiError("this fake speaks response_format pcm only", { param: "response_format" }), rec);
        const pcm = await speak(b.input, { rate: SPEECH_RATE });
        rec.status = 200;
        rec.bytes = 0;
        rec.total = pcm.length;
        res.writeHead(200, { "Content-Type": "audio/pcm" });  // chunked: no Content-Length
        const step = Math.round((SPEECH_RATE * chunkMs) / 1000) * 2;
        for (let off = 0; off < pcm.length && !rec.aborted; off += step) {
            if (misbehaving === "cut" && off >= pcm.length * 0.4) {
                rec.status = "cut";
                return res.socket.destroy();
            }
            res.write(pcm.subarray(off, off + step));
            rec.bytes += Math.min(step, pcm.length - off);
            await sleep(chunkMs / speedup);
        }
        res.end();
    }

    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    return {
        url: `http://127.0.0.1:${server.address().port}/v1`,
        transcriptions,
        speech,
        misbehave(m, opts = {}) {
            for (const [which, list] of [["transcriptions", transcriptions], ["speech", speech]]) {
                if (opts.endpoint && opts.endpoint !== which) continue;
                modes[which] = m;
                after[which] = opts.after ?? list.length;
            }
        },
        async close() {
            server.closeAllConnections();
            await new Promise((r) => server.close(r));
        },
    };
}
