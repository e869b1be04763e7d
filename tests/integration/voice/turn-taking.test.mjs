// Turn-taking (issue #14): the small corpus of turns/corpus.mjs over the websocket transport
// with the default plans (no startSpeakingPlan/stopSpeakingPlan), the embedded transcriber and
// voice, and custom-llm at the OpenAI fake, two calls at a time. Fails when a rate or latency
// is worse than turns/targets.mjs's CI_BOUNDS (the targets are the bench's). bench/turns/run.sh runs the full corpus (and LiveKit).
import assert from "node:assert/strict";
import { test } from "node:test";

import * as L from "./lib.mjs";
import { buildCorpus } from "./turns/corpus.mjs";
import { runCorpus, startModel, summarize, table, voxaTarget } from "./turns/runner.mjs";
import { CI_BOUNDS, misses, targets } from "./turns/targets.mjs";

test("turn-taking corpus (small): false interruptions, premature answers, barge-in stop, turn latency", async (t) => {
    const t0 = Date.now();
    const plans = await buildCorpus("small");
    const model = await startModel();
    t.after(() => model.close());
    const results = await runCorpus(voxaTarget(L.api, model.url), model, plans, { concurrency: 2 });
    const s = summarize(results);
    for (const r of results) L.note(`turns: ${JSON.stringify(r)}`);
    L.note(`turns: ${Math.round((Date.now() - t0) / 1000)} s\n${table({ voxa: s })}`);
    assert.deepEqual(s.errors, [], "every call ran and every event was played over speech");
    const bounds = targets(CI_BOUNDS);
    assert.deepEqual(misses(s, bounds), [], `bounds ${JSON.stringify(bounds)}`);
});
