// Findings 2 and 6 of #20: a restart loses no live call, and a failed start-up ends cleanly.
//
// SIGTERM: new calls are refused, live calls get --drain-seconds, then end with endedReason
// "worker-shutdown"; their records, recordings and end-of-call-reports are written (the
// reports stored in the outbox) before the process exits. kill -9: the next start on the same
// data dir ends the calls the killed run left (call.in-progress.error-vapifault-worker-died),
// keeps the recording streamed so far (its WAV header fixed up) and sends each report once,
// with an id derived from the call, so later restarts send nothing again.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { BIN, createCall, freePort, getCall, join, postgres, receiver, sleep, voxa, waitUntil } from "./lib.mjs";
import { rms } from "../pcm.mjs";

const run = promisify(execFile);
const SHUTDOWN = "worker-shutdown";
const DIED = "call.in-progress.error-vapifault-worker-died";

// Light, deterministic engines (bench providers: timers and a 220 Hz tone), so 20 calls fit
// on a 2-core machine; only the end-of-call-report goes to the receiver.
function assistant(url) {
    return {
        transcriber: { provider: "bench" },
        model: { provider: "bench", reply: "Sure." },
        voice: { provider: "bench", msPerWord: 300 },
        firstMessage: "Hello there, this call is recorded for a restart test, please hold on.",
        server: { url },
        serverMessages: ["end-of-call-report"],
        maxDurationSeconds: 300,
        silenceTimeoutSeconds: 300,
    };
}

// Creates and joins `n` calls; each peer streams a quiet 440 Hz tone (the customer side).
async function liveCalls(t, v, url, n) {
    const org = await v.api("PATCH", `/org/${v.orgId}`, { concurrencyLimit: 50 });
    assert.equal(org.status, 200, org.text);
    const calls = [];
    for (let i = 0; i < n; i++) calls.push(await createCall(v, assistant(url)));
    const peers = await Promise.all(calls.map((c) => join(c)));
    const tone = Buffer.alloc(640);
    for (let i = 0; i < 320; i++) tone.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 16000)), 2 * i);
    const timer = setInterval(() => {
        for (const p of peers) if (p.ws.readyState === WebSocket.OPEN) p.ws.send(tone);
    }, 20);
    t.after(() => {
        clearInterval(timer);
        for (const p of peers) p.close();
    });
    await Promise.all(peers.map((p) => p.waitFor((m) => m.type === "status-update" && m.status === "in-progress", 15000, "in-progress")));
    return { calls, peers, stopAudio: () => clearInterval(timer) };
}

// The end-of-call-reports the receiver got: [{callId, eventId, message}].
function reports(rec) {
    return rec.requests
        .map((r) => ({ r, m: JSON.parse(r.body).message }))
        .filter(({ m }) => m?.type === "end-of-call-report")
        .map(({ r, m }) => ({ callId: m.call?.id, eventId: r.headers["x-voxa-event-id"], message: m }));
}

// {channels, rate, seconds, pcm} of a WAV whose header must match its length.
function parseWav(buf) {
    assert.equal(buf.toString("latin1", 0, 4), "RIFF");
    assert.equal(buf.readUInt32LE(4), buf.length - 8, "RIFF size = file size - 8");
    let off = 12, fmt = null;
    while (off + 8 <= buf.length) {
        const id = buf.toString("latin1", off, off + 4);
        const size = buf.readUInt32LE(off + 4);
        if (id === "fmt ") fmt = { channels: buf.readUInt16LE(off + 10), rate: buf.readUInt32LE(off + 12) };
        if (id === "data") {
            assert.equal(size, buf.length - off - 8, "data size = the bytes that follow");
            assert.ok(fmt, "fmt before data");
            const pcm = buf.subarray(off + 8);
            return { ...fmt, pcm, seconds: pcm.length / (2 * fmt.channels * fmt.rate) };
        }
        off += 8 + size + (size & 1);
    }
    assert.fail("no data chunk");
}

// One channel of interleaved stereo s16le.
function channel(pcm, ch) {
    const n = Math.floor(pcm.length / 4);
    const out = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) out.writeInt16LE(pcm.readInt16LE(i * 4 + ch * 2), i * 2);
    return out;
}

async function download(v, path) {
    const r = await fetch(v.base + path, { headers: { Authorization: `Bearer ${v.key}` } });
    assert.equal(r.status, 200, `GET ${path}`);
    return Buffer.from(await r.arrayBuffer());
}

// The recordings of an ended call: stereo with the customer's tone left and the assistant's
// voice right, at least `minSeconds` long; mono as long.
async function checkRecordings(v, rec, minSeconds) {
    assert.match(rec.artifact?.stereoRecordingUrl ?? "", /\/stereo-recording$/, `call ${rec.id}: stereoRecordingUrl`);
    assert.match(rec.artifact?.recordingUrl ?? "", /\/mono-recording$/, `call ${rec.id}: recordingUrl`);
    const stereo = parseWav(await download(v, `/call/${rec.id}/stereo-recording`));
    assert.equal(stereo.channels, 2);
    assert.ok(stereo.seconds >= minSeconds, `call ${rec.id}: ${stereo.seconds.toFixed(2)} s recorded, want >= ${minSeconds}`);
    assert.ok(rms(channel(stereo.pcm, 0)) > 300, `call ${rec.id}: the customer's tone is on the left`);
    assert.ok(rms(channel(stereo.pcm, 1)) > 300, `call ${rec.id}: the assistant's voice is on the right`);
    const mono = parseWav(await download(v, `/call/${rec.id}/mono-recording`));
    assert.equal(mono.channels, 1);
    assert.ok(Math.abs(mono.seconds - stereo.seconds) < 0.05, `call ${rec.id}: mono ${mono.seconds} s, stereo ${stereo.seconds} s`);
    return stereo.seconds;
}

// Every call has exactly one report (one event id each, stable), with the record's reason.
function checkReportsOnce(rec, ids, reason) {
    const got = reports(rec);
    for (const id of ids) {
        const mine = got.filter((g) => g.callId === id);
        assert.ok(mine.length >= 1, `call ${id}: an end-of-call-report`);
        assert.equal(new Set(mine.map((g) => g.eventId)).size, 1, `call ${id}: one event id`);
        assert.equal(mine.length, 1, `call ${id}: the report was delivered once, not ${mine.length} times`);
        assert.equal(mine[0].message.endedReason, reason);
    }
    assert.equal(got.length, ids.length, "no other reports");
}

test("SIGTERM with 20 live calls: they end (worker-shutdown) with their records, recordings and one report each", async (t) => {
    const rec = await receiver(t);
    const v = await voxa(t, { env: { VOXA_DRAIN_SECONDS: "1" } });  // env: the baseline ignores it
    const { calls, peers, stopAudio } = await liveCalls(t, v, rec.url, 20);
    const ids = calls.map((c) => c.id);
    await sleep(2500);

    const started = Date.now();
    v.proc.kill("SIGTERM");
    // During the drain: no new call.
    await sleep(200);
    const refused = await fetch(`${v.base}/health`).then(() => "accepted", () => "refused");
    assert.equal(refused, "refused", "no new connection is accepted once SIGTERM came");
    const exit = await v.exit;
    const took = Date.now() - started;
    stopAudio();
    assert.equal(exit.code, 0, `exit status on SIGTERM: ${exit.code ?? exit.signal}\n${v.output().slice(-3000)}`);
    assert.ok(took < 10000, `shutdown took ${took} ms`);
    t.diagnostic(`SIGTERM to exit with 20 live calls (drain 1 s): ${took} ms`);
    for (const p of peers) {
        await Promise.race([p.closedPromise, sleep(2000)]);
        assert.ok(p.closed, "the server closed the caller's socket");
        assert.ok(p.messages.some((m) => m.type === "status-update" && m.status === "ended" && m.endedReason === SHUTDOWN),
                  "the caller was told the call ended (worker-shutdown)");
    }

    await v.restart();
    for (const id of ids) {
        const r = await getCall(v, id);
        assert.equal(r.status, "ended", `call ${id}: ${r.status}`);
        assert.equal(r.endedReason, SHUTDOWN);
        assert.ok(r.startedAt && r.endedAt && Date.parse(r.endedAt) - Date.parse(r.startedAt) >= 2000, `call ${id}: startedAt/endedAt`);
        assert.ok(r.messages.some((m) => m.role === "bot"), `call ${id}: the assistant's turn is in messages`);
        assert.ok(Array.isArray(r.costs) && typeof r.cost === "number", `call ${id}: costs`);
        await checkRecordings(v, r, 2);
    }
    await waitUntil(() => reports(rec).length >= ids.length, 15000, "20 end-of-call-reports");
    await sleep(1500);  // anything sent twice would come now
    checkReportsOnce(rec, ids, SHUTDOWN);

    // Another restart sends nothing again.
    assert.equal((await v.stop()).code, 0);
    await v.restart();
    await sleep(2000);
    checkReportsOnce(rec, ids, SHUTDOWN);
});

test("kill -9 with live calls: the next start ends them, keeps their recordings and sends each report once", async (t) => {
    const rec = await receiver(t);
    const v = await voxa(t);
    const { calls, stopAudio } = await liveCalls(t, v, rec.url, 5);
    const queued = await createCall(v, assistant(rec.url));  // created, never joined
    const ids = [...calls.map((c) => c.id), queued.id];
    await sleep(4000);
    v.proc.kill("SIGKILL");
    await v.exit;
    stopAudio();
    assert.equal(reports(rec).length, 0, "nothing was reported before the kill");

    const restarting = Date.now();
    await v.restart();
    t.diagnostic(`restart with the repair of 6 calls, until /health answers: ${Date.now() - restarting} ms`);
    for (const c of calls) {
        const r = await getCall(v, c.id);
        assert.equal(r.status, "ended", `call ${c.id}: ${r.status}`);
        assert.equal(r.endedReason, DIED);
        assert.ok(r.endedAt, "endedAt");
        // Streamed about once a second, a second behind: 4 s of call keep 2 s at least.
        const seconds = await checkRecordings(v, r, 2);
        const duration = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
        assert.ok(Math.abs(duration - seconds) < 0.1, `endedAt = startedAt + what was recorded (${duration} vs ${seconds} s)`);
    }
    const q = await getCall(v, queued.id);
    assert.equal(q.status, "ended");
    assert.equal(q.endedReason, DIED);
    await waitUntil(() => reports(rec).length >= ids.length, 15000, `${ids.length} end-of-call-reports`);
    await sleep(1500);
    checkReportsOnce(rec, ids, DIED);
    for (const g of reports(rec)) {
        if (g.callId === queued.id) continue;
        assert.match(g.message.stereoRecordingUrl ?? "", /\/stereo-recording$/, "the report links the recording");
    }

    // Restart twice more (a clean stop, then another kill): no report again.
    assert.equal((await v.stop()).code, 0);
    await v.restart();
    await sleep(1500);
    v.proc.kill("SIGKILL");
    await v.exit;
    await v.restart();
    await sleep(2000);
    checkReportsOnce(rec, ids, DIED);
});

test("two nodes share PostgreSQL: a node's restart repairs only the calls it ran", async (t) => {
    const pg = await postgres(t);
    const rec = await receiver(t);
    // Nodes sharing a database share its master key (docs/security.md, secrets at rest).
    const env = { DATABASE_URL: pg.url, VOXA_SECRET_KEY: randomBytes(32).toString("base64") };
    const a = await voxa(t, { env });
    const b = await voxa(t, { env });
    const { calls, stopAudio } = await liveCalls(t, a, rec.url, 2);
    const ids = calls.map((c) => c.id);
    await sleep(2500);
    a.proc.kill("SIGKILL");
    await a.exit;
    stopAudio();
    const status = async (id) => pg.psql(`SELECT a3 FROM resources WHERE kind = 'call' AND id = '${id}'`);
    // Node B restarts (twice): A's calls are not B's to end.
    for (let i = 0; i < 2; i++) {
        assert.equal((await b.stop()).code, 0);
        await b.restart();
    }
    await sleep(1000);
    for (const id of ids) assert.equal(await status(id), "in-progress", `call ${id} of node A, after B restarted`);
    assert.equal(reports(rec).length, 0);
    // Node A comes back: its calls end, each reported once.
    await a.restart();
    for (const id of ids) {
        const r = await getCall(a, id);
        assert.equal(r.status, "ended");
        assert.equal(r.endedReason, DIED);
        await checkRecordings(a, r, 1);
    }
    await waitUntil(() => reports(rec).length >= ids.length, 15000, "the reports");
    await sleep(1500);
    checkReportsOnce(rec, ids, DIED);
});

test("a database failure while bootstrapping the first org: a clear error and exit status 1, no crash", async (t) => {
    const dir = await mkdtemp(joinPath(tmpdir(), "voxa-rel-boot-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const dataDir = joinPath(dir, "data");
    // A migrated database with no org, whose orgs table refuses writes: the bootstrap's
    // INSERT fails for real, after the pools, the outbox and the call manager exist.
    await run(BIN, ["admin", "create-org", "--data-dir", dataDir, "--name", "x"]);
    await run("sqlite3", [joinPath(dataDir, "voxa.db"),
        "DELETE FROM api_keys; DELETE FROM orgs; CREATE TRIGGER no_orgs BEFORE INSERT ON orgs BEGIN SELECT RAISE(ABORT, 'orgs are read-only'); END;"]);
    const port = await freePort();
    const proc = spawn(BIN, ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir],
                       { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => proc.kill("SIGKILL"), 30000);
    const exit = await new Promise((res) => proc.on("exit", (code, signal) => res({ code, signal })));
    clearTimeout(timer);
    assert.doesNotMatch(out, /AddressSanitizer|LeakSanitizer|runtime error:/, `a sanitizer report:\n${out.slice(-4000)}`);
    assert.equal(exit.signal, null, `killed by ${exit.signal}:\n${out.slice(-4000)}`);
    assert.equal(exit.code, 1, `exit status ${exit.code}:\n${out.slice(-4000)}`);
    assert.match(out, /orgs are read-only/, "the error says what failed");
});
