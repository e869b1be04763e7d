// #11 finding 11: the data dir, the database, uploads and recordings belong to the server's
// user alone (0700 directories, 0600 files), also for a data dir an older version left open.
import assert from "node:assert/strict";
import { chmod, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";

import { sleep, voxa, waitUntil } from "./lib.mjs";

async function walk(dir, out = []) {
    for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        out.push(p);
        if (e.isDirectory()) await walk(p, out);
    }
    return out;
}

const mode = async (p) => (await stat(p)).mode & 0o777;

test("data dir, database, uploads and recordings are private to the server's user", async (t) => {
    const v = await voxa(t);
    // An upload.
    const form = new FormData();
    form.append("file", new Blob(["private notes"], { type: "text/plain" }), "notes.txt");
    const up = await fetch(v.base + "/file", { method: "POST", headers: { Authorization: `Bearer ${v.key}` }, body: form });
    assert.equal(up.status, 201, await up.text());

    // A short call over the websocket transport, so a recording is written.
    const created = await v.api("POST", "/call", {
        assistant: { transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "slt" },
                     model: { provider: "local", rules: [] }, firstMessage: "Hello." },
        transport: { provider: "vapi.websocket", audioFormat: { format: "pcm_s16le", container: "raw", sampleRate: 16000 } },
    });
    assert.equal(created.status, 201, created.text);
    const ws = new WebSocket(created.json.transport.websocketCallUrl);
    await new Promise((res, rej) => { ws.onopen = res; ws.onerror = rej; });
    const silence = new Uint8Array(640);
    for (let i = 0; i < 50; i++) {
        ws.send(silence);
        await sleep(20);
    }
    ws.close(1000);
    await waitUntil(async () => {
        const c = await v.api("GET", `/call/${created.json.id}`);
        return c.json?.status === "ended" && c.json?.artifact?.recordingUrl;
    }, 15000, "the call to end with a recording");
    const files = await waitUntil(async () => {
        const all = await walk(v.dataDir);
        return all.some((p) => p.includes("recordings") && /\.wav$/.test(p)) && all;
    }, 10000, "the recording file");

    assert.equal(await mode(v.dataDir), 0o700, "data dir");
    assert.equal(await mode(join(v.dataDir, "voxa.db")), 0o600, "voxa.db");
    for (const p of files) {
        const st = await stat(p);
        const m = st.mode & 0o777;
        assert.equal(m & 0o077, 0, `${p} is ${m.toString(8)}: readable by others`);
    }
});

test("a data dir left open by an older version is closed at start", async (t) => {
    const v = await voxa(t);
    await v.stop();
    await chmod(v.dataDir, 0o755);
    await chmod(join(v.dataDir, "voxa.db"), 0o644);
    await v.restart();
    assert.equal(await mode(v.dataDir), 0o700);
    assert.equal(await mode(join(v.dataDir, "voxa.db")), 0o600);
});
