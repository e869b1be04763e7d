// Finding 7 of #20: recordings and dashboard files were served with Beast's file_body, whose
// open and 4 KiB reads ran on the event loop: a large recording not in the page cache
// stalled every call on that loop. Here a 500 MB recording, dropped from the page cache, is
// downloaded from a one-loop server (--threads 1) while live calls are speaking:
//   - the thread that writes the download to the socket (the event loop) must not be the one
//     that read the file (per-thread read counts, /proc/PID/task/TID/io): a direct measure,
//     whatever the disk's speed;
//   - the calls keep their 20 ms pacing (the largest gap between a caller's audio frames).
// The disk of a build machine may read cold files at a GB/s (this one: 1.3 GB/s), where a
// blocking read is short; the first check does not depend on that.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { closeSync, openSync, readdirSync, readFileSync, writeSync, fsyncSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join as joinPath } from "node:path";
import { createCall, getCall, join, localAssistant, sleep, voxa, waitUntil } from "./lib.mjs";

const run = promisify(execFile);
const SIZE = 500 * 1024 * 1024;
const CALLS = Number(process.env.VOXA_FILE_TEST_CALLS || 20);

/** Bytes each thread of a process has read (read/pread; not socket receives): Map tid -> {name, rchar}. */
function threadReads(pid) {
    const out = new Map();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
            const io = readFileSync(`/proc/${pid}/task/${tid}/io`, "utf8");
            const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
            out.set(tid, { name, rchar: Number(/^rchar: (\d+)/m.exec(io)[1]) });
        } catch {}
    }
    return out;
}

/** A WAV file of `size` bytes (44-byte header + noise), written through, then evicted from the page cache. */
function writeColdWav(path, size) {
    const fd = openSync(path, "w");
    const header = Buffer.alloc(44);
    header.write("RIFF", 0);
    header.writeUInt32LE(size - 8, 4);
    header.write("WAVEfmt ", 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);          // PCM
    header.writeUInt16LE(2, 22);          // stereo
    header.writeUInt32LE(16000, 24);
    header.writeUInt32LE(64000, 28);
    header.writeUInt16LE(4, 32);
    header.writeUInt16LE(16, 34);
    header.write("data", 36);
    header.writeUInt32LE(size - 44, 40);
    writeSync(fd, header);
    const block = randomBytes(4 * 1024 * 1024);
    for (let left = size - 44; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(left, block.length));
    fsyncSync(fd);
    closeSync(fd);
    // posix_fadvise(DONTNEED) needs no privileges; node has no binding for it.
    execFileSync("python3", ["-c", "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)", path]);
}

test("a 500 MB cold recording is read off the event loop while calls keep their pacing", { timeout: 240000 }, async (t) => {
    const v = await voxa(t, { args: ["--threads", "1"] });
    const org = await v.api("PATCH", `/org/${v.orgId}`, { concurrencyLimit: CALLS + 10 });
    assert.equal(org.status, 200, org.text);

    // A finished call, whose stereo recording is then replaced by a 500 MB one.
    const done = await createCall(v, localAssistant({ firstMessage: "Hello." }));
    const s0 = await join(done);
    await sleep(1500);
    s0.close();
    await waitUntil(async () => (await getCall(v, done.id)).status === "ended", 20000, "the first call's end");
    await waitUntil(async () => (await v.api("GET", `/call/${done.id}/stereo-recording`)).status === 200, 20000, "its recording");
    const path = joinPath(v.dataDir, "recordings", v.orgId, `${done.id}-stereo.wav`);
    writeColdWav(path, SIZE);

    // Live calls that speak for the whole download.
    const speech = "This is a long answer that keeps the assistant talking while a large file is downloaded. ".repeat(8);
    const callers = [];
    t.after(() => callers.forEach((c) => c.close()));
    for (let i = 0; i < CALLS; i++) {
        const call = await createCall(v, localAssistant({ firstMessage: speech }));
        const s = await join(call);
        s.times = [];
        s.ws.addEventListener("message", (ev) => { if (typeof ev.data !== "string") s.times.push(performance.now()); });
        callers.push(s);
    }
    await waitUntil(() => callers.every((s) => s.times.length > 10), 30000, "every call speaking", 50);

    // A quiet window first, as long as a download usually takes, for comparison.
    const q0 = performance.now();
    await sleep(3000);
    const q1 = performance.now();

    // The download runs in curl, so this process only receives the calls' audio.
    const before = threadReads(v.proc.pid);
    const t0 = performance.now();
    const { stdout } = await run("curl", ["-s", "-o", "/dev/null", "-D", "-", "-w", "\n%{http_code} %{size_download}",
                                          "-H", `Authorization: Bearer ${v.key}`, `${v.base}/call/${done.id}/stereo-recording`],
                                 { maxBuffer: 1 << 20 });
    const t1 = performance.now();
    const [status, size] = stdout.trim().split("\n").pop().split(" ").map(Number);
    assert.equal(status, 200);
    assert.equal(size, SIZE, "the whole file");
    assert.match(stdout, new RegExp(`^content-length: ${SIZE}\r?$`, "mi"));
    assert.match(stdout, /^content-type: audio\/wav\r?$/mi);
    assert.match(stdout, /^content-disposition: .*filename=/mi);
    assert.match(stdout, /^x-content-type-options: nosniff\r?$/mi);
    const after = threadReads(v.proc.pid);

    // Which threads read the file: the event loop (named voxa-loop-0) must not be one.
    const deltas = [...after].map(([tid, a]) => ({ tid, name: a.name, read: a.rchar - (before.get(tid)?.rchar ?? 0) }));
    // The file pool's two threads take the chunks in turn: each may read about half.
    const readers = deltas.filter((d) => d.read > SIZE / 10);
    const readersTotal = readers.reduce((n, d) => n + d.read, 0);
    const loopReads = deltas.filter((d) => d.name.startsWith("voxa-loop")).reduce((n, d) => n + d.read, 0);
    // Pacing: the largest gap between audio frames of any caller, and frames per second.
    const pacing = (from, to) => {
        let maxGap = 0;
        let frames = 0;
        for (const s of callers) {
            const during = s.times.filter((x) => x >= from && x <= to);
            frames += during.length;
            for (let i = 1; i < during.length; i++) maxGap = Math.max(maxGap, during[i] - during[i - 1]);
        }
        return { maxGap, rate: frames / CALLS / ((to - from) / 1000) };
    };
    const quiet = pacing(q0, q1);
    const { maxGap, rate } = pacing(t0, t1);
    const secs = (t1 - t0) / 1000;
    t.diagnostic(`download ${secs.toFixed(2)} s (${(SIZE / 1e6 / secs).toFixed(0)} MB/s); file read by ${readers.map((r) => `${r.name}/${r.tid}`).join(", ")}; ` +
                 `event loop read ${(loopReads / 1e6).toFixed(1)} MB; ${CALLS} calls: ${rate.toFixed(1)} frames/s per call (50 expected), largest gap ${maxGap.toFixed(0)} ms ` +
                 `(quiet window before: ${quiet.rate.toFixed(1)} frames/s, largest gap ${quiet.maxGap.toFixed(0)} ms)`);
    // Under ASan on 2 cores (curl, this process, the server's loop and file pool, another
    // suite) a gap of ~0.9 s was seen once with the file read off the loop: there the
    // per-thread reads above are the check, and the pacing bound only catches a loop blocked
    // for the whole download.
    const asan = readFileSync(`/proc/${v.proc.pid}/maps`, "utf8").includes("libasan");
    const gapBound = asan ? 2000 : 500;
    assert.ok(maxGap < gapBound, `a call's audio stalled ${maxGap.toFixed(0)} ms during the download (bound ${gapBound})`);
    assert.ok(rate > 42, `calls received ${rate.toFixed(1)} frames/s during the download, not ~50`);
    assert.ok(readers.length >= 1 && readersTotal >= SIZE, `threads read ${readersTotal} of the file's ${SIZE} bytes`);
    assert.ok(readers.every((r) => !r.name.startsWith("voxa-loop")) && deltas.some((d) => d.name.startsWith("voxa-loop")),
              `the file was read on the event loop: ${JSON.stringify(readers)}`);
    assert.ok(loopReads < 64 * 1024 * 1024, `the event loop read ${(loopReads / 1e6).toFixed(0)} MB`);
});
