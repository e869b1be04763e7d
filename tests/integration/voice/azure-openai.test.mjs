// Vapi's Azure OpenAI credential (CreateAzureOpenAICredentialDTO: openAIKey, openAIEndpoint,
// region, models): an "openai" model it lists is asked at the org's own deployment,
// {openAIEndpoint}/openai/deployments/{model}/chat/completions?api-version=..., with the key in
// the api-key header, and no OpenAI key is needed. The deployment is the OpenAI-compatible fake.
import assert from "node:assert/strict";
import { test } from "node:test";

import { startOpenAIFake } from "../../fakes/openai-fake.mjs";
import * as L from "./lib.mjs";

const GREETING = "Hello from your own Azure deployment.";

test("azure-openai: an openai model the org's credential lists goes to its deployment with the api-key header", async (t) => {
    const llm = await startOpenAIFake({ greeting: GREETING });
    t.after(() => llm.close());
    const own = await L.ownVoxa(t, { OPENAI_API_KEY: "" });
    const cred = await own.api("POST", "/credential", {
        provider: "azure-openai", region: "eastus2", models: ["gpt-4o-2024-11-20"],
        openAIKey: "azure-secret-key", openAIEndpoint: `http://127.0.0.1:${llm.port}` });
    assert.equal(cred.status, 201, JSON.stringify(cred.json));
    const { call, client } = await L.ownCall(own, { assistant: {
        firstMessageMode: "assistant-speaks-first-with-model-generated-message",
        transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "kal16" },
        model: { provider: "openai", model: "gpt-4o-2024-11-20" } } });
    t.after(() => client.close());
    client.startContinuous();
    await client.waitForMessage((m) => m.type === "transcript" && m.role === "assistant" && /azure/i.test(m.transcript), 20000);
    assert.equal(llm.requests.length, 1);
    const r = llm.requests[0];
    assert.equal(r.path, "/openai/deployments/gpt-4o-2024-11-20/chat/completions?api-version=2024-10-21");
    assert.equal(r.headers["api-key"], "azure-secret-key");
    assert.equal(r.headers.authorization, undefined, "no bearer token to Azure");
    assert.equal(r.body.stream, true);
    client.endCall();
    const rec = await L.ownEnded(own, call.id, 20000);
    assert.ok(!rec.endedReason.startsWith("pipeline-error"), rec.endedReason);

    // A model the credential does not list needs OpenAI's own key: refused at POST /call.
    const refused = await own.api("POST", "/call", { transport: L.WEBSOCKET_16K, assistant: {
        model: { provider: "openai", model: "gpt-4o-mini" } } });
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.json), /model\.provider \\"openai\\" needs an API key/);
});
