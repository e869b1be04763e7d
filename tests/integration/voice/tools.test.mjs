// Function tools whose calls go to the tool's server (Vapi's tool-calls server message):
// the result flows back into the model's turn, tool.messages are spoken at the right
// moments, and bad answers (not JSON, too slow, an error) leave the call going with the
// error in messages[].
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";
import { startReceiver } from "./receiver.mjs";

function spoken(client) {
    return client.ofType("transcript").filter((m) => m.role === "assistant" && m.transcriptType === "final").map((m) => m.transcript);
}

async function ask(call, client, text, expect, timeoutMs = 10000) {
    const r = await L.control(call, { type: "add-message", message: { role: "user", content: text } });
    assert.equal(r.status, 200, r.text);
    return client.waitFor(() => spoken(client).find((s) => expect.test(s)), timeoutMs, `a reply matching ${expect}`)
        .catch((e) => { throw new Error(`${e.message}\nassistant said: ${JSON.stringify(spoken(client))}\n` +
                                   `model context: ${JSON.stringify(client.ofType("conversation-update").at(-1)?.messagesOpenAIFormatted)}`); });
}

test("tool-calls: the server's result changes what the assistant says; bad answers become errors in messages[]", async (t) => {
    const rx = await startReceiver(async (req) => {
        const m = req.json?.message;
        if (m?.type !== "tool-calls") return { status: 200, json: {} };
        const call = m.toolCallList[0];
        switch (call.function.name) {
            case "getWeather":
                return { json: { results: [{ toolCallId: call.id, name: "getWeather",
                                             result: `sunny in ${call.function.arguments.city}` }] } };
            case "brokenTool":
                return { text: "<html>oops</html>", contentType: "text/html" };
            case "slowTool":
                return { hang: true };
            case "sluggishTool":  // answers, but only after 6 s: the assistant is silent that long
                return { delayMs: 6000, json: { results: [{ toolCallId: call.id, result: "finally" }] } };
            case "hugeTool":
                return { json: { results: [{ toolCallId: call.id, result: "x".repeat(2 * 1024 * 1024) }] } };
            case "failingTool":
                return { json: { results: [{ toolCallId: call.id, error: "the database is down" }] } };
        }
        return { status: 404, json: {} };
    });
    t.after(() => rx.close());

    // A stored tool referenced by model.toolIds, with its own server URL.
    const stored = await L.api("POST", "/tool", {
        type: "function",
        function: { name: "brokenTool", description: "Answers with HTML", parameters: { type: "object", properties: {} } },
        server: { url: `${rx.url}/broken` },
    });
    assert.equal(stored.status, 201, stored.text);

    const fn = (name, extra = {}) => ({
        type: "function",
        function: { name, description: name, parameters: { type: "object", properties: { city: { type: "string" } } } },
        ...extra,
    });
    const assistant = L.localAssistant({
        firstMessage: "Hi.",
        server: { url: `${rx.url}/assistant-server` },
        serverMessages: ["end-of-call-report", "hang"],
        model: {
            provider: "local",
            rules: [
                { match: ["weather"], tool: "getWeather", arguments: { city: "Paris" }, toolReply: "The weather is {{result}}." },
                { match: ["broken"], tool: "brokenTool", toolReply: "Broken result: {{result}}" },
                { match: ["slow"], tool: "slowTool", toolReply: "Slow result: {{result}}" },
                { match: ["failing"], tool: "failingTool", toolReply: "Failing result: {{result}}" },
                { match: ["huge"], tool: "hugeTool", toolReply: "Huge result: {{result}}" },
                { match: ["sluggish"], tool: "sluggishTool", toolReply: "Sluggish result: {{result}}" },
                { match: ["hello"], reply: "Hello again." },
            ],
            toolIds: [stored.json.id],
            tools: [
                fn("getWeather", { server: { url: `${rx.url}/weather` },
                                   messages: [{ type: "request-start", content: "Let me check the weather." }] }),
                fn("slowTool", { server: { url: `${rx.url}/slow`, timeoutSeconds: 1 },
                                 messages: [{ type: "request-response-delayed", timingMilliseconds: 300, content: "Still working on it." },
                                            { type: "request-failed", content: "Sorry, that took too long." }] }),
                fn("failingTool"),  // no server of its own: the assistant's server URL
                fn("hugeTool", { server: { url: `${rx.url}/huge` } }),
                fn("sluggishTool", { server: { url: `${rx.url}/sluggish`, timeoutSeconds: 10 } }),
            ],
        },
    });
    const { call, client } = await L.startCall({ assistant });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 8000);

    // 1. The result reaches the model and changes its reply.
    const weather = await ask(call, client, "what is the weather like", /sunny in paris/i);
    L.note(`tools: heard "${weather}"`);
    const said = spoken(client);
    assert.ok(said.indexOf("Let me check the weather.") >= 0 && said.indexOf("Let me check the weather.") < said.indexOf(weather),
              `request-start before the reply: ${JSON.stringify(said)}`);
    const req = rx.ofType("tool-calls").find((r) => r.path === "/weather").json.message;
    assert.equal(req.toolCallList.length, 1);
    assert.equal(req.toolCallList[0].type, "function");
    assert.equal(req.toolCallList[0].function.name, "getWeather");
    assert.deepEqual(req.toolCallList[0].function.arguments, { city: "Paris" });
    assert.equal(req.toolWithToolCallList[0].function.name, "getWeather");
    assert.equal(req.toolWithToolCallList[0].toolCall.id, req.toolCallList[0].id);
    assert.equal(req.call.id, call.id);
    assert.ok(Array.isArray(req.artifact.messages));
    // The client heard about it too (clientMessages default has tool-calls).
    assert.ok(client.ofType("tool-calls").some((m) => m.toolCallList[0].function.name === "getWeather"));

    // 2. Not JSON -> an error result; the call goes on.
    await ask(call, client, "use the broken tool", /Broken result: .*not JSON/i);
    // 3. Too slow -> request-response-delayed spoken, then the timeout -> request-failed spoken
    //    instead of a model reply.
    const t0 = Date.now();
    await client.waitFor(() => false, 1).catch(() => {});
    await ask(call, client, "try the slow tool", /Sorry, that took too long\./, 8000);
    assert.ok(spoken(client).includes("Still working on it."), JSON.stringify(spoken(client)));
    assert.ok(Date.now() - t0 < 6000);
    // 4. An error in results[] (the assistant's server URL, no tool server).
    await ask(call, client, "call the failing tool", /Failing result: the database is down/);
    assert.equal(rx.ofType("tool-calls").find((r) => r.json.message.toolCallList[0].function.name === "failingTool").path, "/assistant-server");
    // 5. A 2 MiB answer is refused (1 MiB limit), not fed to the model.
    await ask(call, client, "the huge tool", /Huge result: .*too large/i);
    // 6. 6 s without a reply: `hang` goes to the server (and the client), then the answer.
    await ask(call, client, "the sluggish tool", /Sluggish result: finally/, 12000);
    await rx.waitFor((reqs) => reqs.some((r) => r.type === "hang"), 5000, "hang");
    assert.equal(rx.ofType("hang")[0].json.message.call.id, call.id);
    assert.ok(client.ofType("hang").length >= 1);
    // 7. Still a conversation.
    await ask(call, client, "hello", /Hello again\./);

    await L.control(call, { type: "end-call" });
    const rec = await L.waitForEnded(call.id);
    const calls = L.byRole(rec, "tool_calls").map((m) => m.toolCalls[0].function.name);
    assert.deepEqual(calls, ["getWeather", "brokenTool", "slowTool", "failingTool", "hugeTool", "sluggishTool"]);
    const results = L.byRole(rec, "tool_call_result");
    assert.equal(results.length, 6);
    assert.match(results[4].error, /too large/i);
    assert.equal(results[0].result, "sunny in Paris");
    assert.equal(results[0].error, undefined);
    assert.match(results[1].error, /not JSON/);
    assert.match(results[2].error, /timeout/i);
    assert.equal(results[3].error, "the database is down");
    for (const r of results) assert.equal(r.toolCallId, L.byRole(rec, "tool_calls").find((c) => c.toolCalls[0].id === r.toolCallId).toolCalls[0].id);
    // The tool requests are in the delivery logs as well.
    const logs = await L.waitForLogs(`callId=${call.id}&webhookType=tool-calls`, 6);
    assert.equal(logs.json.results.length, 6);
    assert.ok(logs.json.results.some((l) => l.responseHttpCode === 200 && /not JSON/.test(l.error)));
});

test("apiRequest tools call the configured URL; legacy model.functions send function-call", async (t) => {
    const rx = await startReceiver(async (req) => {
        if (req.path.startsWith("/orders/")) return { json: { order: req.path.split("/")[2].split("?")[0], status: "shipped", q: req.path.split("?")[1] ?? "" } };
        if (req.path === "/notes") return { status: 201, json: { saved: req.json } };
        if (req.type === "function-call") return { json: { result: `legacy ok for ${req.json.message.functionCall.parameters.item}` } };
        return { json: {} };
    });
    t.after(() => rx.close());
    const assistant = L.localAssistant({
        firstMessage: "Hi.",
        serverUrl: `${rx.url}/legacy`,
        serverMessages: [],
        model: {
            provider: "local",
            rules: [
                { match: ["order"], tool: "getOrder", arguments: { id: "A17", verbose: "yes" }, toolReply: "Order: {{result}}" },
                { match: ["note"], tool: "saveNote", arguments: { text: "call me back" }, toolReply: "Saved: {{result}}" },
                { match: ["stock"], tool: "checkStock", arguments: { item: "lamp" }, toolReply: "Stock: {{result}}" },
            ],
            tools: [
                { type: "apiRequest", name: "getOrder", description: "Look an order up", method: "GET",
                  url: `${rx.url}/orders/{{id}}`,
                  headers: { type: "object", properties: { "X-Api-Key": { type: "string", value: "k-{{id}}" } } },
                  body: { type: "object", properties: { id: { type: "string" } } } },
                { type: "apiRequest", name: "saveNote", method: "POST", url: `${rx.url}/notes`, timeoutSeconds: 5,
                  body: { type: "object", properties: { text: { type: "string" } } } },
            ],
            functions: [{ name: "checkStock", description: "Stock level", parameters: { type: "object", properties: { item: { type: "string" } } } }],
        },
    });
    const { call, client } = await L.startCall({ assistant });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 8000);

    await ask(call, client, "where is my order", /Order: .*shipped/);
    const get = rx.requests.find((r) => r.path.startsWith("/orders/"));
    assert.match(get.path, /^\/orders\/A17\?/);
    assert.match(get.path, /verbose=yes/);
    assert.equal(get.headers["x-api-key"], "k-A17");
    await ask(call, client, "take a note", /Saved: .*call me back/);
    const post = rx.requests.find((r) => r.path === "/notes");
    assert.deepEqual(post.json, { text: "call me back" });
    assert.match(post.headers["content-type"], /application\/json/);
    await ask(call, client, "check the stock", /Stock: legacy ok for lamp/);
    const legacy = rx.ofType("function-call")[0].json.message;
    assert.equal(legacy.functionCall.name, "checkStock");
    assert.deepEqual(legacy.functionCall.parameters, { item: "lamp" });
    await L.control(call, { type: "end-call" });
    const rec = await L.waitForEnded(call.id);
    assert.equal(L.byRole(rec, "tool_call_result").length, 3);
});

// DTMF keys in 16 kHz PCM: Goertzel power at the 8 DTMF frequencies per 20 ms block.
function detectDtmf(pcm, rate = 16000) {
    const rows = [697, 770, 852, 941], cols = [1209, 1336, 1477, 1633];
    const keys = ["123A", "456B", "789C", "*0#D"];
    const n = rate / 50;
    const power = (block, f) => {
        const k = 2 * Math.cos((2 * Math.PI * f) / rate);
        let s1 = 0, s2 = 0;
        for (const x of block) { const s0 = x + k * s1 - s2; s2 = s1; s1 = s0; }
        return s1 * s1 + s2 * s2 - k * s1 * s2;
    };
    let out = "", last = null, quiet = 99;
    for (let off = 0; off + n * 2 <= pcm.length; off += n * 2) {
        const block = [];
        for (let i = 0; i < n; i++) block.push(pcm.readInt16LE(off + i * 2));
        const energy = block.reduce((a, x) => a + x * x, 0);
        let key = null;
        if (energy / n > 1e6) {
            const rp = rows.map((f) => power(block, f)), cp = cols.map((f) => power(block, f));
            const r = rp.indexOf(Math.max(...rp)), c = cp.indexOf(Math.max(...cp));
            const total = rp.reduce((a, b) => a + b) + cp.reduce((a, b) => a + b);
            const second = (ps, i) => Math.max(...ps.filter((_, j) => j !== i));
            // A clean dual tone: one row and one column, each 10x the others (speech is not).
            if ((rp[r] + cp[c]) / total > 0.95 && rp[r] > 10 * second(rp, r) && cp[c] > 10 * second(cp, c)) key = keys[r][c];
        }
        // Debounced: a key is new after another key or after 2+ quiet blocks (the gap).
        if (key) {
            if (key !== last || quiet >= 2) out += key;
            last = key;
            quiet = 0;
        } else {
            quiet++;
        }
    }
    return out;
}

test("dtmf tool: the model's keypad digits are played as DTMF tones", async (t) => {
    const assistant = L.localAssistant({
        firstMessage: "Hi.",
        model: { provider: "local", rules: [{ match: ["menu"], tool: "dtmf", arguments: { digits: "4 1#" }, toolReply: "Done." }],
                 tools: [{ type: "dtmf" }] },
    });
    const { call, client } = await L.startCall({ assistant });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitForMessage({ type: "speech-update", role: "assistant", status: "stopped" }, 8000);
    const before = L.now();
    await ask(call, client, "navigate the menu", /^Done\.$/);
    const keys = detectDtmf(client.receivedPcm(before));
    L.note(`dtmf: heard keys "${keys}"`);
    assert.equal(keys, "41#");
    await L.control(call, { type: "end-call" });
    const rec = await L.waitForEnded(call.id);
    assert.equal(L.byRole(rec, "tool_call_result")[0].result, "Pressed 41#.");
});
