// The dashboard's language-model providers (issue #13): the editor's Model card writes Vapi's
// model shapes (AnthropicModel with thinking, fallbackModels, ...) and keeps each provider's own
// fields while the page is open; Settings stores Anthropic and Azure OpenAI credentials in Vapi's
// Create*CredentialDTO shapes and never shows a key back. Each test signs up an owner of its own.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { test } from "node:test";
import * as L from "./lib.mjs";

const BASE = L.BASE_URL;
const PASSWORD = "correct horse 42";
const run = Date.now().toString(36);
const tid = (id) => `[data-testid="${id}"]`;

/** An owner of a new org (by API) and a browser signed in as them. */
async function ownOwner(t, tag, name) {
    const email = `${tag}-${run}@example.com`;
    const reg = await fetch(BASE + "/auth/register", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD, name, orgName: `${name} ${run}` }) });
    assert.equal(reg.status, 201, `POST /auth/register -> ${reg.status}: ${await reg.text()}`);
    const login = await fetch(BASE + "/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }) });
    assert.equal(login.status, 200, `POST /auth/login -> ${login.status}`);
    const jwt = /voxa_session=([^;]+)/.exec(login.headers.get("set-cookie") || "")?.[1];
    assert.ok(jwt, "login set the session cookie");
    const b = await L.launch({});
    t.after(b.close);
    await b.context.addCookies([{ name: "voxa_session", value: jwt, url: BASE }]);
    return { jwt, page: b.page, errors: b.errors };
}

/** Chooses `label` in the Radix select whose trigger is `selector`. */
async function pick(page, selector, label) {
    await page.click(selector);
    await page.getByRole("option", { name: label, exact: true }).click();
    await L.waitUntil(async () => (await page.locator(selector).innerText()).trim() === label, 3000, `${selector} to show ${label}`);
}

async function savedToast(page, what) {
    await L.waitUntil(async () => (await page.locator(tid("toast")).allInnerTexts()).some((x) => /^Saved\b/.test(x.trim())),
                      10000, 'a "Saved" toast').catch(async (e) => {
        const invalid = await page.evaluate(() => [...document.querySelectorAll('[aria-invalid="true"]')].map((x) => x.id));
        throw new Error(`${e.message}; ${what}; invalid fields ${JSON.stringify(invalid)}`);
    });
}

/** A PNG path under build/test-artifacts/web/ (the directory made on demand). */
function shotPath(name) {
    mkdirSync(L.ARTIFACTS, { recursive: true });
    return `${L.ARTIFACTS}/${name}.png`;
}

const SYSTEM = { role: "system", content: "You book appointments." };
// The legacy function list Voxa takes on every model: nothing in the form shows it, a provider switch must keep it.
const FUNCTIONS = [{ name: "book", description: "Books a slot", parameters: { type: "object", properties: {} } }];

test("editor: anthropic with a fallback model and thinking -> saved in Vapi's AnthropicModel shape; other providers' fields kept while the page is open", async (t) => {
    const { jwt, page } = await ownOwner(t, "models", "Mo Model");
    const a = await L.api("POST", "/assistant", { name: "Models",
        model: { provider: "openai", model: "gpt-4o", fallbackModels: ["gpt-4o-mini"], temperature: 0.3, maxTokens: 300, messages: [SYSTEM],
                 functions: FUNCTIONS },
        transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "kal16" } }, { token: jwt });
    assert.equal(a.status, 201, a.text);
    const patches = [];
    page.on("request", (r) => r.method() === "PATCH" && patches.push(r.postData()));
    await page.goto(`${BASE}/assistants/edit/?id=${a.json.id}`);
    await page.locator("#modelProvider").waitFor({ timeout: 15000 });
    assert.equal(await page.inputValue("#model-fallback-0"), "gpt-4o-mini", "the saved fallback model is shown");

    // The picker: Vapi's model providers this server runs, then Vapi's others, marked.
    await page.click("#modelProvider");
    await page.getByRole("option").first().waitFor({ timeout: 5000 });
    const offered = (await page.getByRole("option").allInnerTexts()).map((x) => x.trim());
    await page.keyboard.press("Escape");
    const runs = ["local", "openai", "anthropic", "google", "groq", "together-ai", "openrouter", "deepinfra", "perplexity-ai", "xai",
                  "cerebras", "deep-seek", "anyscale", "custom-llm"];
    assert.deepEqual(offered.slice(0, runs.length), runs);
    assert.ok(offered.slice(runs.length).every((x) => x.endsWith("(not on this server)")), `the others are marked: ${offered}`);

    // anthropic: the shared fields stay, the model becomes one of Anthropic's; the model
    // suggestions are Vapi's AnthropicModel.model enum.
    await pick(page, "#modelProvider", "anthropic");
    assert.match(await page.inputValue("#modelName"), /^claude-/);
    assert.equal(await page.inputValue("#temperature"), "0.3");
    assert.equal(await page.inputValue("#maxTokens"), "300");
    assert.equal(await page.inputValue("#systemPrompt"), SYSTEM.content);
    assert.equal(await page.locator("#model-fallback-0").count(), 0, "openai's fallback models are not anthropic's");
    const suggested = await page.locator("#model-suggestions option").evaluateAll((os) => os.map((o) => o.value));
    for (const m of ["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-6"]) assert.ok(suggested.includes(m), `${m} suggested`);
    assert.ok(!suggested.some((m) => m.startsWith("gpt-")), "no openai model suggested");

    await page.fill("#modelName", "claude-sonnet-4-5-20250929");
    await page.click(tid("add-model-fallback"));
    await page.fill("#model-fallback-0", "gpt-4o"); // not an Anthropic model: refused before saving
    await page.click("#modelThinking");
    await page.fill("#modelThinkingBudget", "500");
    await page.click(tid("save"));
    await page.locator('#model-fallback-0[aria-invalid="true"]').waitFor({ timeout: 5000 });
    assert.match(await page.locator("#model-fallback-0-error").innerText(), /one of anthropic's models/);
    assert.match(await page.locator("#modelThinkingBudget-error").innerText(), /1024 to 100000/);
    assert.equal(patches.length, 0, "nothing was sent");
    await page.fill("#model-fallback-0", "claude-haiku-4-5-20251001");
    await page.fill("#modelThinkingBudget", "2048");

    // To openai and back: each provider's own fields come back as they were.
    await pick(page, "#modelProvider", "openai");
    assert.equal(await page.inputValue("#modelName"), "gpt-4o");
    assert.equal(await page.inputValue("#model-fallback-0"), "gpt-4o-mini");
    assert.equal(await page.locator("#modelThinking").count(), 0, "openai has no thinking");
    await pick(page, "#modelProvider", "custom-llm");
    await page.locator("#modelUrl").waitFor({ timeout: 3000 });
    await pick(page, "#modelProvider", "anthropic");
    assert.equal(await page.inputValue("#modelName"), "claude-sonnet-4-5-20250929");
    assert.equal(await page.inputValue("#model-fallback-0"), "claude-haiku-4-5-20251001");
    assert.equal(await page.locator("#modelThinking").getAttribute("aria-checked"), "true");
    assert.equal(await page.inputValue("#modelThinkingBudget"), "2048");
    assert.equal(await page.inputValue("#temperature"), "0.3");

    await page.click(tid("save"));
    await savedToast(page, `PATCH bodies ${JSON.stringify(patches)}`);
    await page.locator("#section-model").screenshot({ path: shotPath("editor-model-anthropic") });
    const saved = await L.api("GET", `/assistant/${a.json.id}`, undefined, { token: jwt });
    assert.equal(saved.status, 200, saved.text);
    assert.deepEqual(saved.json.model, {
        provider: "anthropic", model: "claude-sonnet-4-5-20250929", fallbackModels: ["claude-haiku-4-5-20251001"],
        thinking: { type: "enabled", budgetTokens: 2048 }, temperature: 0.3, maxTokens: 300, messages: [SYSTEM], functions: FUNCTIONS,
    });

    await page.reload();
    await page.locator("#model-fallback-0").waitFor({ timeout: 15000 });
    assert.equal((await page.locator("#modelProvider").innerText()).trim(), "anthropic");
    assert.equal(await page.inputValue("#modelName"), "claude-sonnet-4-5-20250929");
    assert.equal(await page.inputValue("#model-fallback-0"), "claude-haiku-4-5-20251001");
    assert.equal(await page.inputValue("#modelThinkingBudget"), "2048");
});

test("settings: anthropic and azure-openai credentials in Vapi's shapes; keys never shown back", async (t) => {
    const { jwt, page } = await ownOwner(t, "llmcred", "Lee Cred");
    const ANTHROPIC_KEY = `sk-ant-${run}-0123456789`;
    const AZURE_KEY = `az-${run}-9876543210`;
    const ENDPOINT = "https://voxa-test.openai.azure.com";
    await page.goto(`${BASE}/settings/`);
    await page.locator(tid("add-credential")).click({ timeout: 15000 });
    await page.locator("#credProvider").waitFor({ timeout: 5000 });
    // The model providers' credentials are among those this server uses (not marked).
    const labels = await page.locator("#credProvider option").evaluateAll((os) => Object.fromEntries(os.map((o) => [o.value, o.textContent.trim()])));
    for (const p of ["anthropic", "google", "azure-openai", "groq", "xai", "cerebras", "deep-seek", "perplexity-ai", "anyscale", "custom-llm"])
        assert.equal(labels[p], p, `${p} is offered as used: ${JSON.stringify(labels)}`);

    await page.selectOption("#credProvider", "anthropic");
    await page.fill("#credApiKey", ANTHROPIC_KEY);
    await page.fill("#credName", "Claude key");
    await page.click(tid("credential-submit"));
    const rows = page.locator(tid("credential-row"));
    await L.waitUntil(async () => (await rows.count()) === 1, 10000, "the anthropic credential row");

    // Azure OpenAI: its own fields, all required but the APIM key.
    await page.locator(tid("add-credential")).click();
    await page.selectOption("#credProvider", "azure-openai");
    await page.fill("#credApiKey", AZURE_KEY);
    await page.click(tid("credential-submit"));
    await page.locator('#credOpenAIEndpoint[aria-invalid="true"]').waitFor({ timeout: 5000 });
    assert.match(await page.locator("#credRegion-error").innerText(), /region/i);
    await page.fill("#credOpenAIEndpoint", ENDPOINT);
    await page.selectOption("#credRegion", "swedencentral");
    await page.click("#credModels-gpt-4o");
    await page.click("#credModels-gpt-4_1");
    await page.fill("#credName", "Azure Sweden");
    await page.locator('[role="dialog"]').screenshot({ path: shotPath("credential-azure-openai") });
    await page.click(tid("credential-submit"));
    await L.waitUntil(async () => (await rows.count()) === 2, 10000, "the azure-openai credential row");
    const text = (await rows.allInnerTexts()).join("\n");
    assert.match(text, /anthropic[\s\S]*Claude key/);
    assert.match(text, /azure-openai[\s\S]*Azure Sweden[\s\S]*voxa-test\.openai\.azure\.com \(swedencentral\)/);
    for (const key of [ANTHROPIC_KEY, AZURE_KEY]) assert.ok(!(await page.content()).includes(key), "no key on the page after adding");
    await L.screenshot(page, "settings-model-credentials");

    const list = await L.api("GET", "/credential", undefined, { token: jwt });
    assert.equal(list.status, 200, list.text);
    const byProvider = Object.fromEntries(list.json.map((c) => [c.provider, c]));
    const fields = (c) => Object.keys(c).filter((k) => !["id", "orgId", "createdAt", "updatedAt"].includes(k)).sort();
    assert.deepEqual(fields(byProvider.anthropic), ["name", "provider"]);
    assert.equal(byProvider.anthropic.name, "Claude key");
    assert.deepEqual(fields(byProvider["azure-openai"]), ["models", "name", "openAIEndpoint", "provider", "region"]);
    assert.deepEqual(byProvider["azure-openai"].models, ["gpt-4o", "gpt-4.1"]);
    assert.equal(byProvider["azure-openai"].openAIEndpoint, ENDPOINT);
    assert.equal(byProvider["azure-openai"].region, "swedencentral");
    for (const key of [ANTHROPIC_KEY, AZURE_KEY]) assert.ok(!list.text.includes(key), `GET /credential never echoes a key: ${list.text}`);

    await page.reload();
    await L.waitUntil(async () => (await rows.count()) === 2, 10000, "both rows after a reload");
    for (const key of [ANTHROPIC_KEY, AZURE_KEY]) assert.ok(!(await page.content()).includes(key), "no key on the page after a reload");
});

test("#15 bug 1: from the scripted model to another provider and back, saving keeps the rules, greeting and fallback", async (t) => {
    const { jwt, page } = await ownOwner(t, "rules", "Rita Rules");
    const model = { provider: "local", greeting: "Thanks for calling the dental office.", fallback: "Sorry, could you say that again?",
                    rules: [{ match: ["book", "appointment"], reply: "Sure, which day suits you?" },
                            { all: ["cancel", "appointment"], reply: "I can cancel that for you." }],
                    messages: [SYSTEM] };
    const a = await L.api("POST", "/assistant", { name: "Rules", model, transcriber: { provider: "local" },
        voice: { provider: "local", voiceId: "kal16" } }, { token: jwt });
    assert.equal(a.status, 201, a.text);
    await page.goto(`${BASE}/assistants/edit/?id=${a.json.id}`);
    await page.locator("#modelProvider").waitFor({ timeout: 15000 });
    await pick(page, "#modelProvider", "openai");
    await pick(page, "#modelProvider", "local");
    await page.fill("#name", "Rules kept");  // a change of the user's own, so there is something to save
    await page.click(tid("save"));
    await savedToast(page, "after the round trip through openai");
    const saved = await L.api("GET", `/assistant/${a.json.id}`, undefined, { token: jwt });
    assert.equal(saved.status, 200, saved.text);
    assert.equal(saved.json.name, "Rules kept");
    assert.deepEqual(saved.json.model.rules, model.rules, "the scripted rules survived");
    assert.equal(saved.json.model.greeting, model.greeting);
    assert.equal(saved.json.model.fallback, model.fallback);
    assert.equal(saved.json.model.provider, "local");
});

test("#15 pickers: the editor warns about a provider with no key in Settings; the scripted model says it follows its rules", async (t) => {
    const { jwt, page } = await ownOwner(t, "keys", "Kay Keys");
    const a = await L.api("POST", "/assistant", { name: "Keys", model: { provider: "openai", model: "gpt-4o-mini", messages: [SYSTEM] },
        voice: { provider: "11labs", voiceId: "21m00Tcm4TlvDq8ikWAM" }, transcriber: { provider: "deepgram", model: "nova-2" } }, { token: jwt });
    assert.equal(a.status, 201, a.text);
    await page.goto(`${BASE}/assistants/edit/?id=${a.json.id}`);
    for (const [role, provider] of [["model", "openai"], ["voice", "11labs"], ["transcriber", "deepgram"]]) {
        const w = page.locator(tid(`${role}-key-missing`));
        await w.waitFor({ timeout: 15000 });
        assert.match(await w.innerText(), new RegExp(`No ${provider} key`));
    }
    // A key in Settings (here by API) ends that warning only.
    const cred = await L.api("POST", "/credential", { provider: "openai", apiKey: "sk-test-0000" }, { token: jwt });
    assert.equal(cred.status, 201, cred.text);
    await page.reload();
    await page.locator(tid("voice-key-missing")).waitFor({ timeout: 15000 });
    assert.equal(await page.locator(tid("model-key-missing")).count(), 0, "openai has a key now");
    // The offline scripted model: a plain note that the system prompt is not what it follows.
    await pick(page, "#modelProvider", "local");
    const note = page.locator(tid("scripted-note"));
    await note.waitFor({ timeout: 5000 });
    assert.match(await note.innerText(), /does not\s+read the system prompt/);
    assert.equal(await page.locator(tid("model-key-missing")).count(), 0, "local needs no key");
});
