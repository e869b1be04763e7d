// make bench: the full turn-taking corpus (tests/integration/voice/turns) against Voxa and
// LiveKit Agents (bench/peer/livekit/bridge.mjs), one after the other with the same sounds and
// the same model fake, and a markdown table for bench/RESULTS.md. bench/turns/run.sh starts
// Voxa and sets VOXA_BASE_URL / VOXA_KEY; this starts the bridge.
//
//   node --experimental-websocket bench/turns/run.mjs [--reps 3] [--targets voxa,livekit]
//        [--concurrency 2] [--json FILE] [--size full|small] [--only talkover,echo,barge,pause,turns]
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import * as L from "../../tests/integration/voice/lib.mjs";
import { buildCorpus } from "../../tests/integration/voice/turns/corpus.mjs";
import { bridgeTarget, runCorpus, startModel, summarize, table, voxaTarget } from "../../tests/integration/voice/turns/runner.mjs";
import { misses, targets } from "../../tests/integration/voice/turns/targets.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { values: argv } = parseArgs({
    options: {
        reps: { type: "string", default: "3" },
        targets: { type: "string", default: "voxa,livekit" },
        concurrency: { type: "string", default: "2" },
        json: { type: "string", default: "" },
        size: { type: "string", default: "full" },
        only: { type: "string", default: "" },   // plan kinds, e.g. turns,pause
    },
});

async function startBridge(modelUrl) {
    const dir = join(here, "../peer/livekit");
    const proc = spawn(process.execPath, ["bridge.mjs", "--port", "0", "--turn-defaults", "--stt", "pocketsphinx",
                                          "--tts", "flite", "--tts-voice", "kal16", "--llm-url", modelUrl,
                                          "--ps-recognizer", process.env.VOXA_PS_RECOGNIZER],
                       { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise((resolve, reject) => {
        let out = "";
        proc.stdout.on("data", (d) => {
            out += d;
            const m = out.match(/listening (\d+)/);
            if (m) resolve(Number(m[1]));
        });
        proc.on("exit", (c) => reject(new Error(`bridge exited (${c}); cd bench/peer/livekit && npm ci --ignore-scripts`)));
    });
    return { port, stop: () => proc.kill("SIGTERM") };
}

const t0 = Date.now();
const plans = (await buildCorpus(argv.size, { reps: Number(argv.reps) }))
    .filter((p) => !argv.only || argv.only.split(",").includes(p.kind));
const events = plans.reduce((n, p) => n + p.events.length + 1, 0);
process.stderr.write(`[turns] ${plans.length} calls, ${events} events (${argv.size}, reps ${argv.reps}), built in ${Date.now() - t0} ms\n`);
const model = await startModel();
const columns = {}, all = {};
for (const name of argv.targets.split(",")) {
    const started = Date.now();
    let target, bridge;
    if (name === "voxa") target = voxaTarget(L.api, model.url);
    else if (name === "livekit") {
        bridge = await startBridge(model.url);
        target = bridgeTarget(bridge.port);
    } else throw new Error(`unknown target ${name}`);
    try {
        const results = await runCorpus(target, model, plans, {
            concurrency: Number(argv.concurrency),
            onResult: (r) => process.stderr.write(`[turns] ${JSON.stringify(r)}\n`),
        });
        all[name] = results;
        columns[name === "voxa" ? "Voxa" : "LiveKit Agents"] = summarize(results);
    } finally {
        bridge?.stop();
    }
    process.stderr.write(`[turns] ${name}: ${Math.round((Date.now() - started) / 1000)} s\n`);
}
await model.close();
console.log(table(columns));
for (const [name, s] of Object.entries(columns)) {
    const m = misses(s);
    console.log(`\n${name}: ${m.length ? "misses " + m.join("; ") : "meets every target"} (targets ${JSON.stringify(targets())})`);
    if (s.errors.length) console.log(`${name}: not measured: ${s.errors.join("; ")}`);
}
if (argv.json) await writeFile(argv.json, JSON.stringify({ columns, results: all }, null, 1));
