// The latency Voxa adds to each speech provider (issue #12): for every entry of table.mjs, a
// fresh Voxa reaching a local fake of that provider's protocol (`--provider-url NAME=URL`,
// the fake in this process, canned: no recognition or synthesis), N concurrent WebSocket calls
// of the voice load generator (build/bench/loadgen: 3 turns and a barge-in each), and
// Voxa's own histogram of the interval, read from /metrics before and after the calls:
//
//   voxa_provider_to_wire_seconds{kind="voice"}        an utterance's first audio read off the
//       provider's socket (or HTTP body) -> its first 20 ms frame handed to the caller's
//       WebSocket, for utterances with nothing playing before them;
//   voxa_provider_to_wire_seconds{kind="transcriber"}  the final transcript read -> the
//       reply's first frame, with the `bench` model and voice answering at once and every
//       startSpeakingPlan wait 0, so only Voxa's own work is in between.
//
// p50 and p99 are interpolated within the histogram's buckets (as Prometheus'
// histogram_quantile does); max is the upper bound of the highest bucket reached. Beside
// them, the caller's view from the load generator: its turn overhead (last voiced frame sent
// -> first reply frame received, minus Voxa's 360 ms VAD wait), which also holds the fake's
// own time and both ends' loopback TCP.
//
//   node bench/providers/run.mjs --utterance utt16k.wav [--calls 100] [--only deepgram,11labs]
//       [--out build/bench/provider-latency.jsonl] [--voxa build/voxa] [--loadgen build/bench/loadgen]
//       [--logs DIR]   (keeps each Voxa's log there: voxa-<provider>-<kind>.log)
//       [--wait-quiet S]  (before each provider, up to S seconds for the machine to be idle)
//
// The machine is shared: the table says how much CPU other processes took during each run
// ("others"), since a busy machine's scheduling delays show up in every number here.
//
// bench/providers/run.sh builds, makes the caller's utterance and runs this (make bench).
import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { providers } from "./table.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const fakesDir = join(root, "tests/integration/voice");
const BENCH_KEY = "bench-provider-key";
const METRIC = "voxa_provider_to_wire_seconds";
const REPLY = "Sure, I can help with that. What day works best for you?";

function args() {
    const a = { calls: 100, only: null, out: join(root, "build/bench/provider-latency.jsonl"), utterance: null, logs: null,
                "wait-quiet": 0,
                voxa: join(root, "build/voxa"), loadgen: join(root, "build/bench/loadgen") };
    const v = process.argv.slice(2);
    for (let i = 0; i < v.length; i++) {
        const k = v[i].replace(/^--/, "");
        if (!(k in a)) throw new Error(`unknown option ${v[i]}`);
        a[k] = v[++i];
    }
    if (!a.utterance) throw new Error("--utterance WAV (16 kHz mono) is required");
    a.calls = Number(a.calls);
    a["wait-quiet"] = Number(a["wait-quiet"]);
    a.only = a.only ? new Set(a.only.split(",")) : null;
    return a;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
    return new Promise((res) => {
        const s = createServer();
        s.listen(0, "127.0.0.1", () => {
            const { port } = s.address();
            s.close(() => res(port));
        });
    });
}

async function waitHealthy(url, child) {
    for (let i = 0; i < 200; i++) {
        if (child.exitCode !== null) throw new Error(`voxa exited (${child.exitCode})`);
        try {
            if ((await fetch(`${url}/health`)).ok) return;
        } catch {}
        await sleep(100);
    }
    throw new Error("voxa did not start");
}

/** The assistant of every call: `bench` engines that answer at once, no endpointing waits. */
function assistantFor(entry, fakeUrl) {
    const a = {
        transcriber: { provider: "bench", text: "I would like to book an appointment.", delayMs: 0 },
        model: { provider: "bench", reply: REPLY, firstTokenMs: 0, tokenGapMs: 0 },
        voice: { provider: "bench", firstByteMs: 0, msPerWord: 300 },
        firstMessageMode: "assistant-waits-for-user",
        startSpeakingPlan: { waitSeconds: 0, transcriptionEndpointingPlan:
                             { onPunctuationSeconds: 0, onNoPunctuationSeconds: 0, onNumberSeconds: 0 } },
        stopSpeakingPlan: { voiceSeconds: 0.2, backoffSeconds: 1 },
        maxDurationSeconds: 600,
    };
    a[entry.kind] = entry.config(fakeUrl);
    return a;
}

/** {"kind|provider": {buckets: [[le, cumulative]...], count, sum}} from Prometheus text. */
function histograms(text) {
    const out = {};
    const get = (labels) => {
        const kind = /kind="([^"]*)"/.exec(labels)?.[1];
        const provider = /provider="([^"]*)"/.exec(labels)?.[1];
        const key = `${kind}|${provider}`;
        return (out[key] ??= { buckets: [], count: 0, sum: 0 });
    };
    for (const line of text.split("\n")) {
        const m = new RegExp(`^${METRIC}_(bucket|count|sum)\\{([^}]*)\\} (\\S+)`).exec(line);
        if (!m) continue;
        const h = get(m[2]);
        const v = Number(m[3]);
        if (m[1] === "bucket") h.buckets.push([Number(/le="([^"]*)"/.exec(m[2])[1].replace("+Inf", "Infinity")), v]);
        else h[m[1]] = v;
    }
    for (const h of Object.values(out)) h.buckets.sort((x, y) => x[0] - y[0]);
    return out;
}

/** after - before, bucket by bucket (the series may not exist before). */
function delta(after, before) {
    if (!after) return { buckets: [], count: 0, sum: 0 };
    const b = new Map((before?.buckets ?? []).map(([le, n]) => [le, n]));
    return { buckets: after.buckets.map(([le, n]) => [le, n - (b.get(le) ?? 0)]),
             count: after.count - (before?.count ?? 0), sum: after.sum - (before?.sum ?? 0) };
}

/** histogram_quantile: linear within the bucket holding rank q * count. */
function quantile(h, q) {
    if (!h.count) return NaN;
    const rank = q * h.count;
    let prevLe = 0, prevN = 0;
    for (const [le, n] of h.buckets) {
        if (n >= rank) {
            if (le === Infinity) return prevLe;  // beyond the last bound: at least that
            return prevLe + ((le - prevLe) * (rank - prevN)) / Math.max(1, n - prevN);
        }
        prevLe = le;
        prevN = n;
    }
    return prevLe;
}

/** The upper bound of the highest bucket any sample fell in. */
function maxBound(h) {
    let prevN = 0, max = NaN;
    for (const [le, n] of h.buckets) {
        if (n > prevN) max = le;
        prevN = n;
    }
    return max;
}

// ---- CPU accounting (Linux /proc): jiffies, turned into core-seconds by the tick rate ------

const TICK = 100;  // USER_HZ: what /proc reports in on Linux
function machineJiffies() {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
    return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
}
function processJiffies(pid) {
    try {
        const st = readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
        return Number(f[11]) + Number(f[12]);  // utime + stime (fields 14 and 15)
    } catch {
        return 0;
    }
}

/** Waits (up to `seconds`) until the machine's CPU is nearly all idle for 3 s. */
async function waitQuiet(seconds) {
    const until = Date.now() + seconds * 1000;
    for (;;) {
        const a = machineJiffies();
        await sleep(3000);
        const b = machineJiffies();
        const busy = (b.busy - a.busy) / (b.busy - a.busy + b.idle - a.idle);
        if (busy < 0.1) return;
        if (Date.now() > until) {
            process.stderr.write(`the machine stayed busy (${Math.round(busy * 100)} % of it): measuring anyway\n`);
            return;
        }
    }
}

async function metricsText(url) {
    return (await fetch(`${url}/metrics`)).text();
}

function runLoadgen(a, url, key, assistantFile, pid) {
    return new Promise((res, rej) => {
        const gen = spawn(a.loadgen, [
            "--target", "voxa", "--url", url, "--key", key, "--calls", String(a.calls),
            "--utterance", a.utterance, "--pid", String(pid), "--assistant", assistantFile,
            "--vad-wait-ms", "360", "--stt-ms", "0", "--llm-ms", "0", "--gap-ms", "0", "--tts-ms", "0"],
        { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        gen.stdout.on("data", (d) => (out += d));
        gen.on("error", rej);
        gen.on("close", () => {
            const line = out.trim().split("\n").filter((l) => l.startsWith("{")).pop();
            line ? res(JSON.parse(line)) : rej(new Error("loadgen printed no result"));
        });
    });
}

async function measure(a, entry, tmp) {
    let fake = null;
    if (entry.fake) {
        const [file, start, options] = entry.fake;
        const mod = await import(join(fakesDir, file));
        fake = await mod[start]({ ...(entry.keyEnv ? { key: BENCH_KEY } : {}), ...options });
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const data = mkdtempSync(join(tmp, "data-"));
    const flags = ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", data, "--log-level", "warn"];
    if (fake && entry.providerUrl !== false) flags.push("--provider-url", `${entry.provider}=${fake.url}`);
    if (entry.egress) flags.push("--egress-allow", "127.0.0.0/8");
    const env = { ...process.env };
    if (entry.keyEnv) env[entry.keyEnv] = BENCH_KEY;
    const log = openSync(join(a.logs ?? tmp, `voxa-${entry.provider}-${entry.kind}.log`), "w");
    const voxa = spawn(a.voxa, flags, { env, stdio: ["ignore", log, log] });
    try {
        await waitHealthy(url, voxa);
        const org = JSON.parse(execFileSync(a.voxa, ["admin", "create-org", "--data-dir", data, "--name", "bench"],
                                            { encoding: "utf8" }).split("\n").find((l) => l.startsWith("{")));
        // More calls at once than Vapi's default concurrencyLimit of 10.
        const patch = await fetch(`${url}/org/${org.orgId}`, {
            method: "PATCH", body: JSON.stringify({ concurrencyLimit: a.calls + 10 }),
            headers: { Authorization: `Bearer ${org.privateKey}`, "Content-Type": "application/json" } });
        if (!patch.ok) throw new Error(`PATCH /org: ${patch.status} ${await patch.text()}`);
        const assistantFile = join(tmp, `assistant-${entry.provider}-${entry.kind}.json`);
        writeFileSync(assistantFile, JSON.stringify(assistantFor(entry, fake?.url)));
        if (a["wait-quiet"] > 0) await waitQuiet(a["wait-quiet"]);
        const before = histograms(await metricsText(url));
        process.stderr.write(`${entry.kind} ${entry.provider}: ${a.calls} calls\n`);
        const cpu0 = { machine: machineJiffies(), voxa: processJiffies(voxa.pid), self: process.cpuUsage(), at: Date.now() };
        const gen = await runLoadgen(a, url, org.privateKey, assistantFile, voxa.pid);
        const m = machineJiffies();
        const wall = (Date.now() - cpu0.at) / 1000;
        const self = process.cpuUsage(cpu0.self);
        const ours = (processJiffies(voxa.pid) - cpu0.voxa) / TICK + (self.user + self.system) / 1e6 +
                     ((gen.loadgenCpuPercent ?? 0) / 100) * (gen.wallSeconds ?? 0);
        // Others: everything the machine ran besides Voxa, this process (the fake) and the load
        // generator, in % of one core (the machine has availableParallelism() of them).
        const othersPercent = Math.max(0, (100 * ((m.busy - cpu0.machine.busy) / TICK - ours)) / wall);
        const after = histograms(await metricsText(url));
        const key = `${entry.kind}|${entry.provider}`;
        const h = delta(after[key], before[key]);
        return {
            kind: entry.kind, provider: entry.provider, calls: a.calls, callsCompleted: gen.callsCompleted,
            utterances: h.count, p50Ms: quantile(h, 0.5) * 1000, p99Ms: quantile(h, 0.99) * 1000,
            maxMs: maxBound(h) * 1000, meanMs: h.count ? (h.sum / h.count) * 1000 : NaN,
            buckets: h.buckets, serverCpuPercent: gen.server?.cpuPercent, othersCpuPercent: othersPercent,
            cores: availableParallelism(), underruns: gen.underruns,
            loadgen: { turnMs: gen.turnMs, overheadMs: gen.overheadMs, repliesMissing: gen.repliesMissing },
        };
    } finally {
        voxa.kill("SIGTERM");
        await new Promise((r) => (voxa.exitCode !== null ? r() : voxa.once("exit", r)));
        if (fake) await fake.close();
    }
}

const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "—");

function table(rows) {
    const lines = [
        "| provider | kind | calls (completed) | utterances measured | p50 ms | p99 ms | max ms (bucket) | " +
            "caller's turn overhead p50 / p99 ms | Voxa CPU % | others' CPU % |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ];
    for (const r of rows)
        lines.push(`| ${r.provider} | ${r.kind} | ${r.calls} (${r.callsCompleted}) | ${r.utterances} | ${fmt(r.p50Ms)} | ` +
                   `${fmt(r.p99Ms)} | ≤ ${fmt(r.maxMs, 2)} | ${fmt(r.loadgen.overheadMs?.p50, 1)} / ` +
                   `${fmt(r.loadgen.overheadMs?.p99, 1)} | ${fmt(r.serverCpuPercent, 0)} | ${fmt(r.othersCpuPercent, 0)} |`);
    return lines.join("\n");
}

async function main() {
    const a = args();
    // lib.mjs (which the fakes import for flite and pocketsphinx) wants the suite's variables;
    // canned fakes use neither.
    process.env.VOXA_BASE_URL ??= "http://127.0.0.1:9";
    process.env.VOXA_KEY ??= "unused";
    const tmp = mkdtempSync(join(tmpdir(), "voxa-pbench-"));
    const rows = [];
    try {
        for (const entry of providers) {
            if (a.only && !a.only.has(entry.provider)) continue;
            const r = await measure(a, entry, tmp);
            rows.push(r);
            appendFileSync(a.out, JSON.stringify({ at: new Date().toISOString(), ...r }) + "\n");
        }
    } finally {
        rmSync(tmp, { recursive: true, force: true });
    }
    console.log(table(rows));
    const missed = rows.filter((r) => !(r.p99Ms < 5));
    console.log(missed.length ? `\np99 at or over 5 ms: ${missed.map((r) => `${r.provider} (${r.kind})`).join(", ")}`
                              : "\nevery provider: p99 under 5 ms");
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
