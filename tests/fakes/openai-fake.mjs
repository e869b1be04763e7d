// A tiny OpenAI-compatible chat-completions server for the Node integration tests.
//
//   const fake = await startOpenAIFake({
//       replies: [{ match: /appointment/i, reply: "Sure, it is booked." }],
//       fallback: "Sorry?",              // no rule matched
//       greeting: "Hi, how can I help?", // the request has no user message at all
//       delayMs: 0,                      // before the first chunk
//   });
//   ... model: { provider: "custom-llm", url: fake.url, model: "x" } ...
//   errorFor: (body) => ({ status: 500, error: { message, type, code } }) | null,
//                                    // answer that request with OpenAI's error body instead
//   cutAfter: (body) => n | null,    // stream n chunks of the reply, then drop the connection
//   fake.requests  -> [{ path, headers, body }]  (every request body, parsed)
//   await fake.close();
//
// Speaks the real streaming format: `data: {chat.completion.chunk}\n\n` per delta (role first,
// then the reply a few words at a time, then a chunk with finish_reason "stop", then, when
// stream_options.include_usage is set, a usage chunk with `choices: []`), then
// `data: [DONE]\n\n`. A request with stream:false gets one chat.completion object.
// `match` may be a RegExp, a string (case-insensitive substring) or a function(text, body).
// A reply may be a string or a function(text, body) returning one.
import http from "node:http";

function lastUserText(messages) {
    for (let i = (messages || []).length - 1; i >= 0; i--) {
        const m = messages[i];
        if (m?.role !== "user") continue;
        if (typeof m.content === "string") return m.content;
        if (Array.isArray(m.content))
            return m.content.filter((p) => p?.type === "text").map((p) => p.text).join(" ");
        return "";
    }
    return null;
}

function matches(rule, text, body) {
    if (rule.match === undefined) return true;
    if (rule.match instanceof RegExp) return rule.match.test(text);
    if (typeof rule.match === "function") return !!rule.match(text, body);
    return text.toLowerCase().includes(String(rule.match).toLowerCase());
}

function words(s) {
    return s.split(/\s+/).filter(Boolean).length;
}

export async function startOpenAIFake({ replies = [], fallback = "Okay.", greeting, delayMs = 0, errorFor, cutAfter } = {}) {
    const requests = [];
    let seq = 0;

    const pick = (body) => {
        const text = lastUserText(body.messages);
        if (text === null && greeting !== undefined)
            return typeof greeting === "function" ? greeting(body) : greeting;
        for (const rule of replies)
            if (matches(rule, text ?? "", body))
                return typeof rule.reply === "function" ? rule.reply(text ?? "", body) : rule.reply;
        return typeof fallback === "function" ? fallback(text ?? "", body) : fallback;
    };

    const server = http.createServer((req, res) => {
        let raw = "";
        req.setEncoding("utf8");
        req.on("data", (d) => (raw += d));
        req.on("end", async () => {
            let body;
            try {
                body = JSON.parse(raw || "{}");
            } catch {
                res.writeHead(400, { "content-type": "application/json" });
                res.end(JSON.stringify({ error: { message: "invalid JSON", type: "invalid_request_error" } }));
                return;
            }
            // receivedNs / firstTextNs: CLOCK_MONOTONIC, comparable with a client on this machine (bench/llm)
            const record = { path: req.url, headers: req.headers, body, at: Date.now(), receivedNs: process.hrtime.bigint() };
            requests.push(record);
            if (!req.url.split("?")[0].endsWith("/chat/completions") || req.method !== "POST") {
                res.writeHead(404, { "content-type": "application/json" });
                res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
                return;
            }
            const failure = errorFor?.(body);
            if (failure) {
                res.writeHead(failure.status, { "content-type": "application/json" });
                res.end(JSON.stringify({ error: failure.error ?? { message: `HTTP ${failure.status}`, type: "server_error" } }));
                return;
            }
            const reply = pick(body);
            const id = `chatcmpl-fake${++seq}`;
            const created = Math.floor(Date.now() / 1000);
            const model = body.model || "fake";
            const promptTokens = (body.messages || []).reduce(
                (n, m) => n + (typeof m.content === "string" ? words(m.content) : 0), 0);
            const usage = { prompt_tokens: promptTokens, completion_tokens: words(reply),
                            total_tokens: promptTokens + words(reply) };
            if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
            if (!body.stream) {
                res.writeHead(200, { "content-type": "application/json" });
                res.end(JSON.stringify({
                    id, object: "chat.completion", created, model,
                    choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: "stop" }],
                    usage,
                }));
                return;
            }
            res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache",
                                 connection: "keep-alive" });
            const chunk = (choices, extra = {}) =>
                res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model,
                                                    system_fingerprint: "fp_fake", choices, ...extra })}\n\n`);
            chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
            // A few words per chunk, as real models stream.
            const parts = reply.match(/\S+\s*/g) || [];
            const cut = cutAfter?.(body);
            for (let i = 0; i < parts.length; i += 3) {
                if (cut != null && i / 3 >= cut) {
                    await new Promise((r) => setTimeout(r, 100));  // the chunks so far reach the client
                    res.destroy();
                    return;
                }
                chunk([{ index: 0, delta: { content: parts.slice(i, i + 3).join("") }, logprobs: null,
                         finish_reason: null }]);
                record.firstTextNs ??= process.hrtime.bigint();
            }
            chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);
            if (body.stream_options?.include_usage) chunk([], { usage });
            res.end("data: [DONE]\n\n");
        });
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = server.address().port;
    return {
        url: `http://127.0.0.1:${port}/v1`,
        port,
        server,  // node:http server (e.g. its keepAliveTimeout, for bench/llm)
        requests,
        close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
    };
}
