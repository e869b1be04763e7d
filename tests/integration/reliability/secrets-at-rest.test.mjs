// Secrets at rest (docs/security.md, "Secrets at rest"): every secret Voxa stores is sealed
// with AES-256-GCM under the master key, on SQLite and on PostgreSQL.
// - Stored through the API (a provider key, a webhook bearer token, an assistant's
//   server.secret, a Twilio number's auth token, a Twilio credential, the org's
//   serverUrlSecret): none of them is in the raw SQLite file (database and WAL) or in any
//   PostgreSQL row, and the server still uses them (the webhook carries the secret and the
//   token, Twilio's signature with the number's token is accepted, another token's is not).
// - `voxa admin rotate-secret-key` while the server runs: no row is left under the old key
//   id, and the running server goes on using the secrets (it reads the new key file).
// - A database from before (plaintext rows, no key) is sealed at the first start.
// - A wrong master key, or none for a sealed database, fails the start with a readable
//   message and a non-zero exit status.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { BIN, createCall, join as joinCall, localAssistant, postgres, receiver, voxa, waitUntil } from "./lib.mjs";

const run = promisify(execFile);
const tag = () => randomBytes(6).toString("hex");

function newSecrets() {
    return {
        apiKey: `sk-ant-plain-${tag()}`,
        bearer: `tok-plain-${tag()}`,
        serverSecret: `srv-plain-${tag()}`,
        twilioToken: `twtok-plain-${tag()}`,
        twilioCredToken: `twcred-plain-${tag()}`,
        orgSecret: `org-plain-${tag()}`,
    };
}

async function ok(r, status = 201) {
    assert.equal(r.status, status, r.text);
    return r.json;
}

/** Stores every kind of secret through the API; returns what the other checks need. */
async function storeSecrets(v, rx, s) {
    await ok(await v.api("POST", "/credential", { provider: "anthropic", name: "llm", apiKey: s.apiKey }));
    const hooks = await ok(await v.api("POST", "/credential", {
        provider: "webhook", name: "hooks", authenticationPlan: { type: "bearer", token: s.bearer } }));
    await ok(await v.api("POST", "/credential", {
        provider: "twilio", name: "tw", accountSid: "AC" + "0".repeat(32), authToken: s.twilioCredToken }));
    const assistant = await ok(await v.api("POST", "/assistant", localAssistant({
        name: "sealed", firstMessage: "Hello.",
        server: { url: `${rx.url}/hook`, secret: s.serverSecret, credentialId: hooks.id },
        serverMessages: ["status-update"] })));
    const number = "+1555" + String(Math.floor(Math.random() * 1e7)).padStart(7, "0");
    await ok(await v.api("POST", "/phone-number", {
        provider: "twilio", number, twilioAccountSid: "AC" + "1".repeat(32), twilioAuthToken: s.twilioToken,
        assistantId: assistant.id }));
    await ok(await v.api("PATCH", `/org/${v.orgId}`, { serverUrl: `${rx.url}/org`, serverUrlSecret: s.orgSecret }), 200);
    // The API hands none of the credentials' secrets back.
    const creds = await ok(await v.api("GET", "/credential"), 200);
    for (const secret of [s.apiKey, s.bearer, s.twilioCredToken])
        assert.ok(!JSON.stringify(creds).includes(secret), "GET /credential returns no secret");
    return { assistantId: assistant.id, number };
}

/** What the database holds: the SQLite files as bytes, or every PostgreSQL row as text. */
async function rawDatabase(v, pg) {
    if (pg) {
        const rows = await Promise.all([
            "SELECT coalesce(string_agg(body, E'\\n'), '') FROM resources",
            "SELECT coalesce(string_agg(body, E'\\n'), '') FROM orgs",
            "SELECT coalesce(string_agg(target || body, E'\\n'), '') FROM webhook_outbox",
            "SELECT coalesce(string_agg(name || '=' || value, E'\\n'), '') FROM server_secrets",
        ].map((q) => pg.psql(q)));
        return rows.join("\n");
    }
    let out = "";
    for (const f of ["voxa.db", "voxa.db-wal"]) {
        const p = join(v.dataDir, f);
        if (existsSync(p)) out += (await readFile(p)).toString("latin1");
    }
    return out;
}

function assertNoPlaintext(raw, s, what) {
    assert.ok(raw.length > 1000, `${what}: read the database (${raw.length} bytes)`);
    for (const [name, secret] of Object.entries(s))
        assert.ok(!raw.includes(secret), `${what}: the ${name} is stored in plaintext`);
}

const keyIds = (raw) => [...new Set([...raw.matchAll(/enc:v1:([0-9a-f]{8}):/g)].map((m) => m[1]))];

/** A call to the stored assistant: its webhook carries the server secret and the bearer token. */
async function webhookUsesSecrets(v, rx, assistantId, s) {
    const before = rx.requests.length;
    const call = await createCall(v, undefined, { assistantId });
    const peer = await joinCall(call);
    try {
        const hook = await waitUntil(() => rx.requests.slice(before).find((r) => r.url === "/hook"), 10000, "the webhook");
        assert.equal(hook.headers["x-vapi-secret"], s.serverSecret, "server.secret is sent");
        assert.equal(hook.headers.authorization, `Bearer ${s.bearer}`, "the credential's token is sent");
    } finally {
        peer.ws.close();
    }
}

/** Twilio's voice webhook, signed as Twilio signs it with `token`: the HTTP status. */
async function twilioWebhook(v, number, token) {
    const form = { AccountSid: "AC" + "1".repeat(32), CallSid: "CA" + randomBytes(16).toString("hex"),
                   CallStatus: "ringing", Direction: "inbound", From: "+15557654321", To: number };
    const url = `${v.base}/twilio/inbound_call`;
    const data = url + Object.keys(form).sort().map((k) => k + form[k]).join("");
    const signature = createHmac("sha1", token).update(data).digest("base64");
    const res = await fetch(url, { method: "POST", body: new URLSearchParams(form),
                                   headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature } });
    await res.text();
    return res.status;
}

/** `voxa serve` on a data dir that must not start: {code, output}. */
function failedStart(dataDir, env) {
    return new Promise((resolve) => {
        const proc = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir],
                           { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        proc.stdout.on("data", (d) => (output += d));
        proc.stderr.on("data", (d) => (output += d));
        const timer = setTimeout(() => proc.kill("SIGKILL"), 15000);
        proc.on("exit", (code, signal) => {
            clearTimeout(timer);
            resolve({ code: code ?? signal, output });
        });
    });
}

for (const backend of ["sqlite", "postgres"]) {
    test(`${backend}: no plaintext secret in the database; rotation re-seals every row while the server runs; a wrong key fails the start`, async (t) => {
        const pg = backend === "postgres" ? await postgres(t) : null;
        const env = pg ? { DATABASE_URL: pg.url } : {};
        const rx = await receiver(t);
        const v = await voxa(t, { env });
        const s = newSecrets();
        const { assistantId, number } = await storeSecrets(v, rx, s);
        await webhookUsesSecrets(v, rx, assistantId, s);
        assert.equal(await twilioWebhook(v, number, s.twilioToken), 200, "signed with the number's token");
        assert.equal(await twilioWebhook(v, number, "another-token"), 403, "signed with another token");

        const before = await rawDatabase(v, pg);
        assertNoPlaintext(before, s, backend);
        assert.match(v.output(), /generated the master key for secrets at rest/);
        const keyFile = join(v.dataDir, "secret.key");
        const [oldId, ...others] = keyIds(before);
        assert.ok(oldId && others.length === 0, `one key id in the database: ${keyIds(before)}`);
        assert.ok(!v.output().includes((await readFile(keyFile, "utf8")).split("\n").find((l) => l && !l.startsWith("#"))),
                  "the key is never logged");

        // Rotation while the server runs.
        const { stdout } = await run(BIN, ["admin", "rotate-secret-key", "--data-dir", v.dataDir], { env: { ...process.env, ...env } });
        const rotated = JSON.parse(stdout.trim().split("\n").pop());
        assert.deepEqual(rotated.retiredKeyIds, [oldId]);
        assert.notEqual(rotated.keyId, oldId);
        assert.ok(rotated.rowsResealed >= 5, `rows re-sealed: ${rotated.rowsResealed}`);
        t.diagnostic(`rotation: ${oldId} -> ${rotated.keyId}, ${rotated.rowsResealed} of ${rotated.rowsRead} rows re-sealed`);
        const after = await rawDatabase(v, pg);
        assertNoPlaintext(after, s, `${backend} after rotation`);
        assert.ok(!after.includes(`enc:v1:${oldId}:`), "no row is left under the old key id");
        assert.deepEqual(keyIds(after), [rotated.keyId]);
        // The running server reads rows under the new key and writes under it.
        await webhookUsesSecrets(v, rx, assistantId, s);
        assert.equal(await twilioWebhook(v, number, s.twilioToken), 200, "the number's token after rotation");
        await ok(await v.api("POST", "/assistant", { name: "after", server: { url: `${rx.url}/x`, secret: `new-plain-${tag()}` } }));
        assert.deepEqual(keyIds(await rawDatabase(v, pg)), [rotated.keyId]);

        // Restarted with a wrong key, or without its key file: refused, readably.
        const stopped = await v.stop();
        assert.equal(stopped.code, 0);
        const wrong = await failedStart(v.dataDir, { ...env, VOXA_SECRET_KEY: randomBytes(32).toString("base64") });
        assert.notEqual(wrong.code, 0, wrong.output);
        assert.match(wrong.output, new RegExp(`master key does not match this database.*key id ${rotated.keyId}`));
        await rm(keyFile);
        const none = await failedStart(v.dataDir, env);
        assert.notEqual(none.code, 0, none.output);
        assert.match(none.output, new RegExp(`sealed under key id ${rotated.keyId} and this server has no key`));
        assert.ok(!existsSync(keyFile), "no new key was made for a sealed database");
    });

    test(`${backend}: a database from before (plaintext secrets, no key) is sealed at the first start`, async (t) => {
        const pg = backend === "postgres" ? await postgres(t) : null;
        const env = pg ? { DATABASE_URL: pg.url } : {};
        const rx = await receiver(t);
        const s = newSecrets();
        const now = new Date().toISOString();
        const ids = { cred: randomUUID(), assistant: randomUUID(), llm: randomUUID() };
        let orgId;
        const v = await voxa(t, {
            env,
            // What an older Voxa left: rows with their secrets in plaintext.
            prepare: async (dataDir) => {
                const sql = (q) => pg ? pg.psql(q) : run("sqlite3", [join(dataDir, "voxa.db"), q]).then((r) => r.stdout.trim());
                orgId = (await sql("SELECT id FROM orgs")).trim();
                const row = (id, kind, body) =>
                    `INSERT INTO resources (id, org_id, kind, created_at, updated_at, body) VALUES ('${id}', '${orgId}', '${kind}', '${now}', '${now}', '${JSON.stringify({ id, orgId, createdAt: now, updatedAt: now, ...body })}')`;
                await sql(row(ids.cred, "credential", { provider: "webhook", name: "hooks", authenticationPlan: { type: "bearer", token: s.bearer } }));
                await sql(row(ids.assistant, "assistant", { name: "old", firstMessage: "Hello.", transcriber: { provider: "local" },
                    voice: { provider: "local", voiceId: "slt" }, model: { provider: "local", rules: [] },
                    server: { url: `${rx.url}/hook`, secret: s.serverSecret, credentialId: ids.cred }, serverMessages: ["status-update"] }));
                await sql(row(ids.llm, "credential", { provider: "anthropic", name: "llm", apiKey: s.apiKey }));
                assert.ok((await sql("SELECT body FROM resources")).includes(s.apiKey), "the rows start in plaintext");
            },
        });
        const raw = await rawDatabase(v, pg);
        assertNoPlaintext(raw, { bearer: s.bearer, serverSecret: s.serverSecret, apiKey: s.apiKey }, `${backend} migrated`);
        const sealed = v.output().match(/"msg":"secrets at rest sealed under the current key","keyId":"([0-9a-f]{8})","rowsRead":\d+,"rowsSealed":(\d+)/);
        assert.ok(sealed && Number(sealed[2]) >= 3, `the start-up seals the rows: ${v.output().slice(-2000)}`);
        assert.deepEqual(keyIds(raw), [sealed[1]]);
        // Read back and used as before.
        const a = await ok(await v.api("GET", `/assistant/${ids.assistant}`), 200);
        assert.equal(a.server.secret, s.serverSecret, "a member still reads server.secret (as Vapi returns it)");
        await webhookUsesSecrets(v, rx, ids.assistant, s);
    });
}
