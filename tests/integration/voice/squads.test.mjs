// Squads: the call starts with members[0]; its assistantDestinations give the model a
// transferCall tool, and a handoff swaps in the other member (its model, voice, prompt and
// first message) with the conversation carried over. membersOverrides and each member's
// assistantOverrides apply.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";
import { startReceiver } from "./receiver.mjs";

function spoken(client) {
    return client.ofType("transcript").filter((m) => m.role === "assistant" && m.transcriptType === "final").map((m) => m.transcript);
}

test("squad handoff: reception hands the caller to billing, who knows the conversation", async (t) => {
    const rx = await startReceiver();
    t.after(() => rx.close());
    const squad = {
        members: [
            {
                assistant: {
                    name: "Reception",
                    transcriber: { provider: "local" },
                    voice: { provider: "local", voiceId: "slt" },
                    firstMessage: "Reception here.",
                    model: { provider: "local", messages: [{ role: "system", content: "You are the receptionist." }],
                             rules: [{ match: ["billing"], reply: "Let me get billing for you.",
                                       tool: "transferCall", arguments: { destination: "Billing" } }] },
                },
                assistantDestinations: [{ type: "assistant", assistantName: "Billing", message: "Transferring you now.",
                                          description: "questions about invoices and payments" }],
            },
            {
                assistant: {
                    name: "Billing",
                    transcriber: { provider: "local" },
                    voice: { provider: "local", voiceId: "kal16" },
                    firstMessage: "Billing here, {{name}}.",
                    model: { provider: "local", messages: [{ role: "system", content: "You are billing." }],
                             rules: [{ match: ["invoice"], reply: "Your invoice is paid." }],
                             fallback: "Billing heard: {{text}}" },
                },
                assistantOverrides: { variableValues: { name: "Ada" } },
            },
        ],
        membersOverrides: { server: { url: `${rx.url}/hook` },
                            serverMessages: ["assistant.started", "end-of-call-report"] },
    };
    const call = await L.createCall({ squad });
    const client = await L.CallClient.connect(call);
    t.after(() => client.close());
    client.startContinuous();
    await client.waitFor(() => spoken(client).includes("Reception here."), 10000, "the first member's first message");

    const say = (text) => L.control(call, { type: "add-message", message: { role: "user", content: text } });
    await say("I have a billing question");
    await client.waitFor(() => spoken(client).includes("Billing here, Ada."), 15000, "billing's first message")
        .catch((e) => { throw new Error(`${e.message}; said ${JSON.stringify(spoken(client))}`); });
    const said = spoken(client);
    assert.deepEqual(said.slice(said.indexOf("Let me get billing for you.")),
                     ["Let me get billing for you.", "Transferring you now.", "Billing here, Ada."]);
    const upd = client.ofType("transfer-update")[0];
    assert.equal(upd.destination.assistantName, "Billing");
    assert.equal(upd.fromAssistant.name, "Reception");
    assert.equal(upd.toAssistant.name, "Billing");
    assert.equal(client.ofType("assistant.started")[0].newAssistant.name, "Billing");

    // Billing's model is the one answering now; it sees the whole conversation.
    await say("what about my invoice");
    await client.waitFor(() => spoken(client).includes("Your invoice is paid."), 10000, "billing's answer");
    const ctx = client.ofType("conversation-update").at(-1).messagesOpenAIFormatted;
    assert.equal(ctx[0].role, "system");
    assert.equal(ctx[0].content, "You are billing.");
    assert.ok(!ctx.some((m) => m.content === "You are the receptionist."), "the old system prompt is swapped out");
    assert.ok(ctx.some((m) => m.role === "user" && m.content === "I have a billing question"), "context carried over");
    assert.ok(ctx.some((m) => m.role === "tool" && /Transferred the call to Billing/.test(m.content)));

    await L.control(call, { type: "end-call" });
    const rec = await L.waitForEnded(call.id);
    assert.deepEqual(L.byRole(rec, "tool_calls").map((m) => m.toolCalls[0].function.name), ["transferCall"]);
    const bot = L.byRole(rec, "bot").map((m) => m.message).join(" | ");
    for (const line of ["Reception here.", "Transferring you now.", "Billing here, Ada.", "Your invoice is paid."])
        assert.ok(bot.includes(line), `${line} in ${bot}`);
    assert.ok(rec.artifact.transcript.includes("AI: Billing here, Ada."));
    // membersOverrides reached both members: the webhooks went to the receiver.
    await rx.waitFor((reqs) => reqs.some((r) => r.type === "end-of-call-report"), 15000);
    const started = rx.ofType("assistant.started").map((r) => r.json.message.newAssistant.name);
    assert.deepEqual(started, ["Billing"]);
    assert.equal(rx.ofType("end-of-call-report")[0].json.message.assistant.name, "Billing");
});

test("transferCall without destinations asks the server (transfer-destination-request)", async (t) => {
    const rx = await startReceiver((req) => {
        if (req.type === "transfer-destination-request")
            return { json: { destination: { type: "assistant", assistantName: "Closer" }, message: { type: "request-start", content: "One moment please." } } };
        return { json: {} };
    });
    t.after(() => rx.close());
    const local = (name, first, rules) => ({
        name, transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "slt" }, firstMessage: first,
        model: { provider: "local", rules, tools: name === "Opener" ? [{ type: "transferCall" }] : [] },
    });
    const squad = { members: [
        { assistant: local("Opener", "Opener here.", [{ match: ["deal"], tool: "transferCall", arguments: {} }]) },
        { assistant: local("Closer", "Closer here.", []) },
    ], membersOverrides: { server: { url: `${rx.url}/hook` }, serverMessages: ["transfer-destination-request"] } };
    const call = await L.createCall({ squad });
    const client = await L.CallClient.connect(call);
    t.after(() => client.close());
    client.startContinuous();
    await client.waitFor(() => spoken(client).includes("Opener here."), 10000, "opener");
    await L.control(call, { type: "add-message", message: { role: "user", content: "let us make a deal" } });
    await client.waitFor(() => spoken(client).includes("Closer here."), 15000, "closer")
        .catch((e) => { throw new Error(`${e.message}; said ${JSON.stringify(spoken(client))}`); });
    assert.ok(spoken(client).includes("One moment please."), JSON.stringify(spoken(client)));
    const req = rx.ofType("transfer-destination-request")[0].json.message;
    assert.equal(req.call.id, call.id);
    assert.equal(req.assistant.name, "Opener");
    await L.control(call, { type: "end-call" });
});
