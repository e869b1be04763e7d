// A fake of Anthropic's Messages API (POST /v1/messages, stream: true), event by event as
// Anthropic documents its streaming format (docs.anthropic.com, "Streaming Messages"):
//
//   event: message_start        {"type":"message_start","message":{id, type, role, content: [], model,
//                                 stop_reason: null, stop_sequence: null, usage: {input_tokens,
//                                 cache_creation_input_tokens, cache_read_input_tokens, output_tokens}}}
//   event: content_block_start  {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}
//   event: ping                 {"type": "ping"}
//   event: content_block_delta  {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"..."}}
//   event: content_block_stop   {"type":"content_block_stop","index":0}
//   (tool_use blocks: content_block_start with {type:"tool_use", id, name, input: {}}, then
//    input_json_delta events whose partial_json pieces join into the input's JSON)
//   event: message_delta        {"type":"message_delta","delta":{"stop_reason":"end_turn"|"tool_use",
//                                 "stop_sequence":null},"usage":{"output_tokens":N}}
//   event: message_stop         {"type":"message_stop"}
//   event: error                {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}
//
// Errors before the stream are JSON bodies {"type":"error","error":{type, message},"request_id"}
// with Anthropic's status for the type. Like the real API, a request without x-api-key (or
// with another key than `key`), without anthropic-version, without max_tokens, with a
// "system" role in messages or with a tool_use left unanswered is refused.
//
//   const fake = await startAnthropicFake({ key: "sk-ant-x", reply: (body, n) => ({ text: "Hi." }) });
//   ... VOXA_PROVIDER_URLS=anthropic=${fake.url} ...
//   fake.requests -> [{ path, headers, body }]     (every request, body parsed)
//   await fake.close();
//
// A reply (what `reply(body, n)` returns for the n-th request, from 1):
//   { text }                          one text block, streamed a few words at a time
//   { text?, tools: [{ name, input }] } text (optional), then one tool_use block per call,
//                                     its input JSON cut into ~8-character input_json_delta pieces
//   { usage: { input_tokens, cache_read_input_tokens, cache_creation_input_tokens } }
//   { text, errorType: "overloaded_error" }  the text, then an error event mid-stream
//   { status: 401 | 429 | 500 | 529 ... }     an HTTP error before the stream
//   { stall: true }                   the request is read, nothing is ever answered
import http from "node:http";

const STATUS_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 402: "billing_error", 403: "permission_error",
    404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
    504: "timeout_error", 529: "overloaded_error",
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const id = (prefix) => `${prefix}_fake${String(++seq).padStart(6, "0")}`;

/** Why Anthropic would refuse `body` (a 400), or null. */
function invalid(body) {
    if (typeof body.model !== "string" || !body.model) return "model: Field required";
    if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return "max_tokens: Field required";
    if (!Array.isArray(body.messages) || body.messages.length === 0) return "messages: at least one message is required";
    let open = [];
    for (const [i, m] of body.messages.entries()) {
        if (m.role !== "user" && m.role !== "assistant") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
        const blocks = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
        if (!Array.isArray(blocks) || blocks.length === 0) return `messages.${i}: content must be non-empty`;
        for (const b of blocks)
            if (b.type === "text" && !String(b.text ?? "").trim()) return `messages.${i}: text content blocks must contain non-whitespace text`;
        if (open.length) {
            const answered = blocks.filter((b) => b.type === "tool_result").map((b) => b.tool_use_id);
            const missing = open.filter((t) => !answered.includes(t));
            if (m.role !== "user" || missing.length)
                return `messages.${i}: tool_use ids were found without tool_result blocks immediately after: ${missing.join(", ")}`;
        }
        open = m.role === "assistant" ? blocks.filter((b) => b.type === "tool_use").map((b) => b.id) : [];
    }
    if (body.thinking && !(body.max_tokens > body.thinking.budget_tokens)) return "max_tokens must be greater than thinking.budget_tokens";
    return null;
}

// delayMs: the model's think time before message_start (bench/llm). Each request records
// receivedNs and firstTextNs (CLOCK_MONOTONIC, as bench/llm compares with its client).
export async function startAnthropicFake({ key, reply = () => ({ text: "Okay." }), eventDelayMs = 5, delayMs = 0 } = {}) {
    const requests = [];
    const sockets = new Set();

    const refuse = (res, status, message) => {
        res.writeHead(status, { "content-type": "application/json", "request-id": id("req") });
        res.end(JSON.stringify({ type: "error", error: { type: STATUS_TYPES[status] ?? "api_error", message },
                                 request_id: id("req") }));
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
                return refuse(res, 400, "There was an issue with your request body: invalid JSON");
            }
            const record = { path: req.url, headers: req.headers, body, at: Date.now(), receivedNs: process.hrtime.bigint() };
            requests.push(record);
            const n = requests.length;
            if (req.method !== "POST" || req.url !== "/v1/messages") return refuse(res, 404, "Not found");
            if (!req.headers["x-api-key"] || (key && req.headers["x-api-key"] !== key))
                return refuse(res, 401, "invalid x-api-key");
            if (!req.headers["anthropic-version"]) return refuse(res, 400, "anthropic-version: header is required");
            const bad = invalid(body);
            if (bad) return refuse(res, 400, bad);

            const r = await reply(body, n);
            if (r.stall) return;  // read, never answered: the client's timeout must fire
            if (r.status) return refuse(res, r.status, r.message ?? (r.status === 429
                ? "Number of request tokens has exceeded your per-minute rate limit" : "Error"));

            if (delayMs) await sleep(delayMs);
            res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache",
                                 "request-id": id("req") });
            const send = async (event, data) => {
                res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
                if (eventDelayMs) await sleep(eventDelayMs);
            };
            const usage = { input_tokens: 25, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...(r.usage ?? {}) };
            await send("message_start", { type: "message_start", message: {
                id: id("msg"), type: "message", role: "assistant", content: [], model: body.model,
                stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
            let index = 0, outputTokens = 0;
            if (r.text) {
                await send("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
                await send("ping", { type: "ping" });
                const words = r.text.match(/\S+\s*/g) ?? [];
                for (let i = 0; i < words.length; i += 3) {
                    record.firstTextNs ??= process.hrtime.bigint();
                    await send("content_block_delta", { type: "content_block_delta", index,
                                                        delta: { type: "text_delta", text: words.slice(i, i + 3).join("") } });
                    outputTokens += 3;
                }
                if (r.errorType) {  // the stream breaks off in the middle of the reply
                    await send("error", { type: "error", error: { type: r.errorType, message: r.errorMessage ?? "Overloaded" } });
                    return res.end();
                }
                await send("content_block_stop", { type: "content_block_stop", index });
                index++;
            }
            for (const t of r.tools ?? []) {
                const json = JSON.stringify(t.input ?? {});
                await send("content_block_start", { type: "content_block_start", index,
                                                    content_block: { type: "tool_use", id: t.id ?? id("toolu"), name: t.name, input: {} } });
                await send("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: "" } });
                for (let i = 0; i < json.length; i += 8)
                    await send("content_block_delta", { type: "content_block_delta", index,
                                                        delta: { type: "input_json_delta", partial_json: json.slice(i, i + 8) } });
                await send("content_block_stop", { type: "content_block_stop", index });
                index++;
                outputTokens += 10;
            }
            await send("message_delta", { type: "message_delta",
                                          delta: { stop_reason: r.tools?.length ? "tool_use" : "end_turn", stop_sequence: null },
                                          usage: { output_tokens: outputTokens } });
            await send("message_stop", { type: "message_stop" });
            res.end();
        });
    });
    server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = server.address().port;
    return {
        url: `http://127.0.0.1:${port}`,
        port,
        server,
        requests,
        close: () => new Promise((resolve) => {
            for (const s of sockets) s.destroy();
            server.close(() => resolve());
        }),
    };
}
