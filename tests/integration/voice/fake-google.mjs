// A local Gemini API for the voice tests: models.streamGenerateContent as Google documents it
// (ai.google.dev/api/generate-content; the official SDKs googleapis/js-genai and python-genai
// speak the same), with scripted replies.
//
//   const g = await startGoogleFake({ key: "AIza-test", reply: (body, n) => ({ text: "Hi." }) });
//   voxa serve --provider-url google=<g.url>
//   g.requests -> [{ method, url, path, query, headers, body, status }]   (every request, parsed)
//   g.script(step)   // the next request gets `step` instead of reply(body, n)
//   await g.close();
//
// A step (what reply() returns, or what script() queues):
//   { text }                          the text over several chunks (three words each), finishReason
//                                     STOP, usageMetadata (cumulative, totals in the last chunk)
//   { calls: [{name, args}], text? }  function calls, whole, in one chunk (Gemini does not split
//                                     them), after the text if any; Gemini 3 models attach a
//                                     thoughtSignature to the first call, as the API does
//   { text, error: {code, status, message} }   the text, then an error object mid-stream
//   { status, error }                 an HTTP error with Gemini's error body
//   { stall: true }                   the status line and headers, then nothing, ever
//
// Protocol, as checked here:
//   POST /v1beta/models/{model}:streamGenerateContent?alt=sse (without alt=sse: the same
//     responses as one JSON array); the key in `x-goog-api-key` (a `key` query parameter works
//     too, as it does at Google; the tests check it is not used). A wrong key -> 400
//     INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID; none -> 403 PERMISSION_DENIED.
//   The request is validated as Gemini does: contents present, roles "user"/"model" only,
//     no empty parts, Schema objects with Gemini's fields only (additionalProperties, $schema
//     -> 400 "Unknown name"), as many functionResponse parts as the turn before had
//     functionCall parts, and on Gemini 3 models each model turn's first functionCall carrying
//     a thought signature (the one issued, or Google's documented placeholder).
//   Each event is `data: <GenerateContentResponse JSON>\r\n\r\n`; there is no [DONE]: the
//     stream ends when the answer does.
import http from "node:http";

const ROUTE = /^\/v1beta\/models\/([^/:]+):(streamGenerateContent|generateContent)$/;
const SCHEMA_FIELDS = new Set(["type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
                               "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
                               "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum"]);
const PLACEHOLDER = "skip_thought_signature_validator";

function googleError(code, status, message, details) {
    return { error: { code, message, status, ...(details ? { details } : {}) } };
}

function schemaProblem(schema, path) {
    if (!schema || typeof schema !== "object") return null;
    for (const [k, v] of Object.entries(schema)) {
        if (!SCHEMA_FIELDS.has(k)) return `Invalid JSON payload received. Unknown name "${k}" at '${path}': Cannot find field.`;
        if (k === "properties") {
            for (const [name, sub] of Object.entries(v)) {
                const p = schemaProblem(sub, `${path}.properties[${name}].value`);
                if (p) return p;
            }
        } else if (k === "items") {
            const p = schemaProblem(v, `${path}.items`);
            if (p) return p;
        } else if (k === "anyOf") {
            for (const [i, sub] of v.entries()) {
                const p = schemaProblem(sub, `${path}.any_of[${i}]`);
                if (p) return p;
            }
        }
    }
    return null;
}

/** Gemini's 400 for a request it would refuse, or null. */
function validate(body, model, issued) {
    const contents = body.contents;
    if (!Array.isArray(contents) || contents.length === 0)
        return "* GenerateContentRequest.contents: contents is not specified\n";
    let pendingCalls = null;
    for (const [i, c] of contents.entries()) {
        if (c.role !== "user" && c.role !== "model") return `Please use a valid role: user, model.`;
        if (!Array.isArray(c.parts) || c.parts.length === 0)
            return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`;
        const calls = c.parts.filter((p) => p.functionCall);
        const responses = c.parts.filter((p) => p.functionResponse);
        if (pendingCalls !== null && c.role === "user") {
            if (responses.length !== pendingCalls.length)
                return "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.";
            pendingCalls = null;
        }
        if (c.role === "model" && calls.length) {
            pendingCalls = calls;
            if (/^gemini-[3-9]/.test(model)) {
                const sig = calls[0].thoughtSignature;
                if (!sig) return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${calls[0].functionCall.name}\` , position ${i + 1}.`;
                if (sig !== PLACEHOLDER && !issued.has(sig)) return "Corrupted thought signature.";
            }
        }
        for (const p of c.parts) {
            if (p.functionCall && (typeof p.functionCall.name !== "string" || (p.functionCall.args && typeof p.functionCall.args !== "object")))
                return `* GenerateContentRequest.contents[${i}]: functionCall needs a name and object args`;
            if (p.functionResponse && (typeof p.functionResponse.name !== "string" || typeof p.functionResponse.response !== "object"))
                return `* GenerateContentRequest.contents[${i}]: functionResponse needs a name and an object response`;
        }
    }
    for (const [t, tool] of (body.tools || []).entries())
        for (const [d, decl] of (tool.functionDeclarations || []).entries()) {
            const p = schemaProblem(decl.parameters, `tools[${t}].function_declarations[${d}].parameters`);
            if (p) return p;
        }
    if (body.systemInstruction && !Array.isArray(body.systemInstruction.parts))
        return "* GenerateContentRequest.system_instruction: parts is required";
    return null;
}

// firstDelayMs: before the first chunk (default chunkDelayMs; bench/llm sets the model's think
// time). Each request records receivedNs and firstTextNs (CLOCK_MONOTONIC, for bench/llm).
export async function startGoogleFake({ key = "AIza-test-key", reply = () => ({ text: "Okay." }), chunkDelayMs = 20,
                                        firstDelayMs = chunkDelayMs } = {}) {
    const requests = [];
    const scripted = [];
    const issued = new Set();  // thought signatures handed out
    const live = new Set();
    let seq = 0;

    const server = http.createServer((req, res) => {
        let raw = "";
        req.setEncoding("utf8");
        req.on("data", (d) => (raw += d));
        req.on("end", async () => {
            const url = new URL(req.url, "http://x");
            const rec = { method: req.method, url: req.url, path: url.pathname, query: Object.fromEntries(url.searchParams),
                          headers: req.headers, body: null, status: 0, receivedNs: process.hrtime.bigint() };
            requests.push(rec);
            const send = (status, json) => {
                rec.status = status;
                res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
                res.end(JSON.stringify(json, null, 2));
            };
            const m = ROUTE.exec(url.pathname);
            if (req.method !== "POST" || !m)
                return send(404, googleError(404, "NOT_FOUND", `The requested URL ${url.pathname} was not found on this server.`));
            try {
                rec.body = JSON.parse(raw || "{}");
            } catch {
                return send(400, googleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received."));
            }
            const given = req.headers["x-goog-api-key"] ?? url.searchParams.get("key");
            if (!given)
                return send(403, googleError(403, "PERMISSION_DENIED",
                    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."));
            if (given !== key)
                return send(400, googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
                    { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com",
                      metadata: { service: "generativelanguage.googleapis.com" } }]));
            const model = decodeURIComponent(m[1]);
            const problem = validate(rec.body, model, issued);
            if (problem) return send(400, googleError(400, "INVALID_ARGUMENT", problem));

            const step = scripted.length ? scripted.shift() : reply(rec.body, requests.length);
            if (step.status) return send(step.status, { error: step.error });
            const sse = m[2] === "streamGenerateContent" && url.searchParams.get("alt") === "sse";
            const responseId = `fake-${++seq}`;
            const promptTokens = JSON.stringify(rec.body.contents).length >> 2;
            let outTokens = 0;
            const usage = (final) => ({ promptTokenCount: promptTokens,
                                        ...(final ? { candidatesTokenCount: outTokens } : {}),
                                        totalTokenCount: promptTokens + (final ? outTokens : 0),
                                        promptTokensDetails: [{ modality: "TEXT", tokenCount: promptTokens }] });
            const chunk = (parts, finishReason) => ({
                candidates: [{ content: { parts, role: "model" }, ...(finishReason ? { finishReason } : {}), index: 0 }],
                usageMetadata: usage(!!finishReason), modelVersion: model, responseId });
            const events = [];
            const words = (step.text || "").match(/\S+\s*/g) || [];
            for (let i = 0; i < words.length; i += 3) {
                outTokens += Math.min(3, words.length - i);
                events.push(chunk([{ text: words.slice(i, i + 3).join("") }]));
            }
            if (step.calls?.length) {
                const parts = step.calls.map((c) => ({ functionCall: { name: c.name, args: c.args ?? {} } }));
                if (/^gemini-[3-9]/.test(model)) {
                    const sig = Buffer.from(`sig-${responseId}-${parts[0].functionCall.name}`).toString("base64");
                    issued.add(sig);
                    parts[0].thoughtSignature = sig;
                }
                outTokens += parts.length * 5;
                events.push(chunk(parts, "STOP"));
            } else if (!step.error && !step.stall) {
                if (events.length) events.at(-1).candidates[0].finishReason = "STOP";
                else events.push(chunk([{ text: "" }], "STOP"));
                if (events.length) events.at(-1).usageMetadata = usage(true);
            }
            if (step.error) events.push({ error: step.error });

            rec.status = 200;
            rec.sent = events;
            res.writeHead(200, sse ? { "content-type": "text/event-stream", "cache-control": "no-cache" }
                                   : { "content-type": "application/json; charset=UTF-8" });
            live.add(res);
            res.on("close", () => live.delete(res));
            if (step.stall) {
                res.flushHeaders();
                return;  // never a byte more
            }
            if (!sse) {
                res.end(JSON.stringify(events));
                return;
            }
            for (const [i, e] of events.entries()) {
                const wait = i === 0 ? firstDelayMs : chunkDelayMs;
                if (wait) await new Promise((r) => setTimeout(r, wait));
                if (res.destroyed) return;
                if (e.candidates?.[0]?.content?.parts?.some((p) => p.text)) rec.firstTextNs ??= process.hrtime.bigint();
                res.write(`data: ${JSON.stringify(e)}\r\n\r\n`);
            }
            res.end();
        });
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = server.address().port;
    return {
        url: `http://127.0.0.1:${port}`,
        port,
        server,
        requests,
        issued,
        script: (step) => scripted.push(step),
        close: () => new Promise((resolve) => {
            for (const r of live) r.destroy();
            server.closeAllConnections?.();
            server.close(() => resolve());
        }),
    };
}
