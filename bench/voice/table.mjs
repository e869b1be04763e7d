// Renders bench/voice/run.sh's JSON lines as the markdown table in bench/RESULTS.md.
//   node bench/voice/table.mjs build/bench/voice-results.jsonl
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2] ?? 'build/bench/voice-results.jsonl', 'utf8')
  .split('\n').filter(Boolean).map((l) => JSON.parse(l));
const f = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(d));
// A point passes when pacing held: jitter p99 < 20 ms, no underrun, every call completed.
const passes = (r) => r.jitterMs.p99 < 20 && r.underruns === 0 && r.callsCompleted === r.calls;

console.log('| system | calls | overhead p50 / p95 / p99 ms | turn p50 ms | barge-in p50 / p99 ms | jitter p99 ms | underruns | server CPU % | CPU % per call | RSS per idle call MB | peak RSS MB | ok |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const s = r.server;
  console.log(`| ${r.label} | ${r.calls} | ${f(r.overheadMs.p50)} / ${f(r.overheadMs.p95)} / ${f(r.overheadMs.p99)} | ${f(r.turnMs.p50, 0)} | ${f(r.bargeInMs.p50, 0)} / ${f(r.bargeInMs.p99, 0)} | ${f(r.jitterMs.p99)} | ${r.underruns} | ${f(s.cpuPercent, 0)} | ${f(s.cpuPercent / r.calls, 3)} | ${f(s.idleRssPerCallMb, 2)} | ${f(s.peakRssMb, 0)} | ${passes(r) ? 'yes' : 'no'} |`);
}
// Long calls: the server's RSS per active call as the calls get older (MB).
for (const r of rows.filter((r) => r.callSeconds > 0 && r.rssTimeline?.length)) {
  console.log(`\n${r.label}, ${r.calls} calls: RSS per active call over time (base ${f(r.server.baseRssMb, 0)} MB)`);
  console.log('| s | active calls | RSS MB | per call MB |');
  console.log('|---|---|---|---|');
  for (const [t, n, rss, per] of r.rssTimeline) console.log(`| ${t} | ${n} | ${f(rss, 0)} | ${f(per, 3)} |`);
}
const labels = [...new Set(rows.filter((r) => !(r.callSeconds > 0)).map((r) => r.label))];
const best = {};
for (const l of labels) {
  const ok = rows.filter((r) => r.label === l && passes(r)).map((r) => r.calls);
  best[l] = ok.length ? Math.max(...ok) : 0;
  console.log(`\n${l}: highest N with jitter p99 < 20 ms, no underrun, all calls completed: **${best[l]}**`);
}
const a = labels.find((l) => l.startsWith('voxa'));
const b = labels.find((l) => l.startsWith('livekit'));
if (a && b) {
  if (best[b] > 0) console.log(`\ncalls held, ${a} / ${b}: **${(best[a] / best[b]).toFixed(1)}x**`);
  // Per-call cost at the largest N both ran.
  const common = rows.filter((r) => r.label === a).map((r) => r.calls)
    .filter((n) => rows.some((r) => r.label === b && r.calls === n));
  if (common.length) {
    const n = Math.max(...common);
    const ra = rows.find((r) => r.label === a && r.calls === n);
    const rb = rows.find((r) => r.label === b && r.calls === n);
    console.log(`at ${n} calls, ${b} / ${a}: CPU per call **${(rb.server.cpuPercent / ra.server.cpuPercent).toFixed(1)}x**, ` +
      `RSS per idle call **${(rb.server.idleRssPerCallMb / ra.server.idleRssPerCallMb).toFixed(1)}x**, ` +
      `overhead p50 ${f(rb.overheadMs.p50)} vs ${f(ra.overheadMs.p50)} ms`);
  }
}
