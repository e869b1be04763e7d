// Finding 4 of #20: out of file descriptors, the accept loop retried at once and spun a core
// (the one that also paces that loop's calls). Under `ulimit -n 64` (soft and hard, so the
// server cannot raise its way out), 200 connections exhaust the descriptors; the server must
// then back off (CPU near zero while the connections stay), count it in /metrics, and serve
// again once they close.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { sleep, voxa, waitUntil } from "./lib.mjs";

const TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS;  // utime, stime (fields 14, 15)
}

function connect(port) {
    return new Promise((resolve) => {
        const s = createConnection({ host: "127.0.0.1", port });
        s.on("connect", () => resolve(s));
        s.on("error", () => resolve(s));
    });
}

test("out of descriptors: the accept loop backs off, then serves again", async (t) => {
    const v = await voxa(t, { args: ["--threads", "1"], maxFiles: 64 });
    const limits = readFileSync(`/proc/${v.proc.pid}/limits`, "utf8");
    assert.match(limits, /Max open files\s+64\s+64/, "the server runs with 64 descriptors, hard");
    // Start-up is over first: the VAD model loads on a thread of its own (its one log line
    // says so). Under ASan, UBSan's vptr check needs a pipe of its own, so start-up code
    // running while the descriptors are gone would die of a false report.
    await waitUntil(async () => /"msg":"vad: /.test(v.output()), 30000, "the VAD's start-up line");

    const sockets = [];
    for (let i = 0; i < 200; i++) sockets.push(await connect(v.port));
    await sleep(500);  // the server has accepted what it can and hit EMFILE
    const fds = () => { try { return execFileSync("ls", [`/proc/${v.proc.pid}/fd`]).toString().split("\n").length - 1; } catch { return -1; } };
    const open = fds();
    const before = cpuSeconds(v.proc.pid);
    const started = Date.now();
    await sleep(3000);
    const cpu = cpuSeconds(v.proc.pid) - before;
    const wall = (Date.now() - started) / 1000;
    t.diagnostic(`descriptors open ${open}; CPU ${cpu.toFixed(2)} s in ${wall.toFixed(1)} s with 200 connections`);
    assert.ok(open >= 60, `the server ran out of descriptors (${open} open)`);
    // Spinning costs a whole core (~3 s here); backing off, a few wake-ups a second.
    assert.ok(cpu < 0.5, `the server used ${cpu.toFixed(2)} s of CPU in ${wall.toFixed(1)} s while out of descriptors`);

    for (const s of sockets) s.destroy();
    // The backed-off loop accepts again within its longest back-off (1 s) once descriptors free.
    await waitUntil(async () => {
        try {
            return (await fetch(v.base + "/health", { signal: AbortSignal.timeout(1000) })).ok;
        } catch {
            return false;
        }
    }, 10000, "/health after the connections closed");
    const metrics = await v.api("GET", "/metrics");
    const m = /voxa_accept_errors_total\{reason="descriptors"\} (\d+)/.exec(metrics.text);
    assert.ok(m && Number(m[1]) > 0, `voxa_accept_errors_total counts the failed accepts:\n${metrics.text.slice(0, 400)}`);
    assert.match(v.output(), /cannot accept connections, backing off/);
    // Logged once per episode, not per failure (accepting the closed backlog may start a second).
    const warnings = v.output().match(/cannot accept connections, backing off/g).length;
    assert.ok(warnings <= 3, `${warnings} warnings for ${m[1]} failed accepts`);
});

test("at start the soft descriptor limit is raised to the hard limit", async (t) => {
    const hard = Number(execFileSync("bash", ["-c", "ulimit -Hn"]).toString().trim());
    if (!(hard > 64)) return t.skip(`the hard limit is ${hard}`);
    const v = await voxa(t, { softFiles: 64 });
    const limits = readFileSync(`/proc/${v.proc.pid}/limits`, "utf8");
    const m = /Max open files\s+(\d+)\s+(\d+)/.exec(limits);
    assert.equal(Number(m[2]), hard);
    assert.equal(Number(m[1]), hard, `started with a soft limit of 64, the server runs with ${m[1]}`);
    assert.match(v.output(), new RegExp(`"msg":"descriptor limit","soft":${hard},"hard":${hard},"softFound":64`));
});
