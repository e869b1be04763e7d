// The browser SDK's web-call engine (web/sdk/src/webcall.ts) on its own, without the dashboard:
// bundled by esbuild into a bare page served by the test (which forwards POST /call/web to
// the Voxa under test), run in headless Chromium with a fake microphone speaking a flite
// sentence. Checks the jitter-buffer worklet by itself, a whole call (the server hears the
// caller, the page plays the reply), mute, hang-up, and the errors (no microphone, API error).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as L from "./lib.mjs";

const SENTENCE = "hello I would like to book an appointment";
const REPLY = "Sure. Which day would you like to come in?";

const PAGE = `<!doctype html><meta charset="utf-8"><title>webcall test</title>
<script src="/webcall.js"></script>
<script>
window.__events = [];
window.__levels = { n: 0, maxIn: 0, maxOut: 0, since: [] };
window.runCall = async (opts) => {
  try {
    const call = await VoxaWebCall.startWebCall({ ...opts, onEvent: (e) => {
      const t = performance.now();
      if (e.type === 'level') {
        const l = window.__levels; l.n++; l.maxIn = Math.max(l.maxIn, e.input); l.maxOut = Math.max(l.maxOut, e.output);
        l.since.push([t, e.input, e.output]);
        return;
      }
      window.__events.push({ t, ...e });
    } });
    window.__call = call;
    return { id: call.id };
  } catch (err) {
    return { error: String(err && err.message || err) };
  }
};
</script>`;

let srv, bundle;
before(async () => {
    bundle = await L.bundleWebcall();
    srv = await L.pageServer({ html: PAGE, bundle, target: L.BASE_URL });
});
after(async () => {
    await srv?.close();
});

/**
 * An assistant on the local engines that waits for the caller and answers REPLY to a booking
 * (else `fallback`), a browser whose fake microphone says SENTENCE after 1.5 s of silence,
 * and the test page opened in it: {a (POST /assistant's answer), b (the browser)}.
 */
async function openCall(t, { name, rules = [{ match: ["appointment", "book"], reply: REPLY }],
                             fallback = REPLY, trailS = 6 }) {
    const a = await L.api("POST", "/assistant", {
        name,
        firstMessageMode: "assistant-waits-for-user",
        transcriber: { provider: "local" },
        voice: { provider: "local", voiceId: "kal16" },
        model: { provider: "local", rules, fallback },
    });
    assert.equal(a.status, 201, a.text);
    const mic = await L.micWav(SENTENCE, { leadS: 1.5, trailS });
    t.after(mic.cleanup);
    const b = await L.launch({ wav: mic.wav });
    t.after(b.close);
    await b.page.goto(srv.url);
    return { a, b };
}

test("playback worklet: prebuffer, underrun, 2 s cap, flush", async (t) => {
    const b = await L.launch({});
    t.after(b.close);
    await b.page.goto(srv.url);
    const r = await b.page.evaluate(async () => {
        const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
        const ctx = new AudioContext({ sampleRate: 16000 });
        await ctx.resume();
        await ctx.audioWorklet.addModule("/sdk/playback-worklet.js");
        const node = new AudioWorkletNode(ctx, "voxa-playback", { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
        node.connect(ctx.destination);
        let last = null;
        node.port.onmessage = (e) => { last = e.data; };
        const tone = (ms) => {
            const a = new Int16Array(16 * ms);
            for (let i = 0; i < a.length; i++) a[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16000));
            return a.buffer;
        };
        const send = (buf) => node.port.postMessage({ type: "pcm", pcm: buf }, [buf]);
        const out = { rate: ctx.sampleRate };
        send(tone(60));                  // below the 100 ms prebuffer: must stay silent
        await sleep(400);
        out.afterPartial = { ...last };
        send(tone(60));                  // 120 ms queued: plays all of it, then drains
        await sleep(600);
        out.afterPlay = { ...last };
        send(tone(120));                 // plays 120 ms, runs dry, more comes 80 ms later: an underrun
        await sleep(200);
        send(tone(120));
        await sleep(600);
        out.afterUnderrun = { ...last };
        send(tone(3000));                // 3 s at once: capped at 2 s
        await sleep(300);
        out.afterCap = { ...last };
        node.port.postMessage({ type: "flush" });
        await sleep(200);
        out.afterFlush = { ...last };
        await ctx.close();
        return out;
    });
    L.note("worklet:", JSON.stringify({ partial: r.afterPartial.samplesPlayed, play: r.afterPlay.samplesPlayed,
                                        underruns: r.afterUnderrun.underruns, dropped: r.afterCap.droppedSamples,
                                        flushed: r.afterFlush.flushedSamples }));
    assert.equal(r.rate, 16000, "the AudioContext runs at 16 kHz");
    assert.equal(r.afterPartial.samplesPlayed, 0, "60 ms (< 100 ms prebuffer) is not played yet");
    assert.equal(r.afterPlay.samplesPlayed, 1920, "120 ms played in full once 100 ms was buffered");
    assert.equal(r.afterPlay.loudSamples > 1500, true, "the tone was played with energy");
    assert.equal(r.afterPlay.bufferedMs, 0);
    assert.equal(r.afterPlay.underruns, 0, "a drain at the end of a stream is no underrun");
    assert.equal(r.afterUnderrun.samplesPlayed, 1920 + 3840, "both 120 ms chunks played");
    assert.equal(r.afterUnderrun.underruns, 1, "a drain with audio 80 ms later is an underrun");
    const dropped = r.afterCap.droppedSamples;
    assert.ok(dropped >= 14000 && dropped <= 16000, `about 1 s of 3 s dropped by the 2 s cap (${dropped})`);
    assert.ok(r.afterCap.bufferedMs <= 2000, `buffer capped: ${r.afterCap.bufferedMs} ms`);
    assert.equal(r.afterFlush.flushes, 1);
    assert.equal(r.afterFlush.bufferedMs, 0, "flush empties the buffer at once");
    assert.ok(r.afterFlush.flushedSamples > 16000, `flushed ${r.afterFlush.flushedSamples} samples (> 1 s)`);
    assert.deepEqual(b.errors, []);
});

test("a whole web call: mic -> server transcript -> reply played; mute; hang up", async (t) => {
    const t0 = Date.now();
    const { a, b } = await openCall(t, { name: "webcall-lib" });

    const started = await b.page.evaluate((o) => window.runCall(o), { assistantId: a.json.id, publicKey: L.PUBLIC_KEY });
    assert.ok(!started.error, `startWebCall failed: ${started.error}`);
    const callId = started.id;
    assert.match(callId, /^[0-9a-f-]{36}$/);

    // What reached the server.
    assert.equal(srv.forwarded.length, 1);
    const fw = srv.forwarded[0];
    assert.equal(fw.authorization, `Bearer ${L.PUBLIC_KEY}`);
    assert.deepEqual(fw.body, { assistantId: a.json.id, transport: { provider: "vapi.websocket",
        audioFormat: { format: "pcm_s16le", container: "raw", sampleRate: 16000 } } });
    assert.equal(fw.status, 201);

    const events = () => b.page.evaluate(() => window.__events);
    const dbg = () => b.page.evaluate(() => ({ ...window.__voxaWebCall }));
    let ev = await events();
    assert.deepEqual(ev.filter((e) => e.type === "status").map((e) => e.status), ["connecting", "live"]);
    assert.equal(ev.find((e) => e.status === "live").callId, callId);

    // The server hears the caller...
    const userFinal = await L.waitUntil(async () => (await events()).find((e) => e.type === "transcript" &&
        e.role === "user" && e.transcriptType === "final" && e.transcript.trim()), 20000, "a final user transcript");
    L.note(`server heard: "${userFinal.transcript}" (${Date.now() - t0} ms into the test)`);
    assert.match(userFinal.transcript, /appointment|book/, "the caller's words were heard");
    const playedAtUser = (await dbg()).loudSamples;
    // ... answers ...
    const botFinal = await L.waitUntil(async () => (await events()).find((e) => e.type === "transcript" &&
        e.role === "assistant" && e.transcriptType === "final" && e.t > userFinal.t), 15000, "the assistant's final transcript");
    assert.match(botFinal.transcript, /sure|which day/i);
    // ... and the page plays it (the reply, after the user's turn, with real energy).
    await L.waitUntil(async () => (await events()).find((e) => e.type === "speech" && e.role === "assistant" &&
        e.status === "stopped" && e.t > userFinal.t), 15000, "speech-update stopped for the reply");
    const replyText = (await events()).filter((e) => e.type === "transcript" && e.role === "assistant" &&
        e.transcriptType === "final" && e.t > userFinal.t).map((e) => e.transcript).join(" ");
    assert.equal(replyText, REPLY, "the assistant's finals (one per sentence) make up the reply");
    const d = await L.waitUntil(async () => { const x = await dbg(); return x.bufferedMs === 0 && x.samplesPlayed > 0 ? x : null; },
                                5000, "the jitter buffer to play out");
    L.note("debug after the reply:", JSON.stringify(d));
    const replySamples = d.loudSamples - playedAtUser;
    assert.ok(replySamples > 16000 * 0.8, `the reply was played (${replySamples} loud samples, want > 0.8 s)`);
    assert.ok(d.playedRms > 0.01, `played audio has energy (rms ${d.playedRms})`);
    assert.equal(d.samplesPlayed + d.droppedSamples + d.flushedSamples, Math.floor(d.bytesReceived / 2),
                 "every received sample was played (or counted as dropped/flushed)");
    assert.ok(d.underruns <= 3, `underruns: ${d.underruns}`);
    assert.ok(d.framesReceived > 0 && d.framesSent > 0);
    const speech = ev.concat(await events()).filter((e) => e.type === "speech");
    assert.ok(speech.some((e) => e.role === "user" && e.status === "started"), "speech-update user started mapped");

    // Levels: ~20 per second, input saw the caller, output saw the reply.
    const lv = await b.page.evaluate(() => window.__levels);
    const secs = (Date.now() - d.liveAt) / 1000;
    L.note(`levels: ${lv.n} in ${secs.toFixed(1)} s, max in ${lv.maxIn.toFixed(3)}, max out ${lv.maxOut.toFixed(3)}`);
    assert.ok(lv.n / secs > 12 && lv.n / secs < 25, `level events at ~20 Hz (${(lv.n / secs).toFixed(1)}/s)`);
    assert.ok(lv.maxIn > 0.01 && lv.maxIn <= 1, `input level ${lv.maxIn}`);
    assert.ok(lv.maxOut > 0.01 && lv.maxOut <= 1, `output level ${lv.maxOut}`);

    // Mute: frames keep flowing (silent), the input level drops to 0.
    const before = await dbg();
    await b.page.evaluate(() => { window.__call.setMuted(true); window.__levels.since = []; });
    assert.equal(await b.page.evaluate(() => window.__call.muted), true);
    await L.sleep(1000);
    const mutedLv = await b.page.evaluate(() => window.__levels.since.slice(2));
    const afterMute = await dbg();
    assert.ok(afterMute.framesSent - before.framesSent >= 35, `frames still sent while muted (${afterMute.framesSent - before.framesSent} in 1 s)`);
    assert.ok(mutedLv.length > 5 && mutedLv.every(([, i]) => i === 0), "input level is 0 while muted");
    await b.page.evaluate(() => window.__call.setMuted(false));

    // Hang up.
    await b.page.evaluate(() => window.__call.hangUp());
    ev = await events();
    assert.deepEqual(ev.filter((e) => e.type === "status").map((e) => e.status), ["connecting", "live", "ended"]);
    const fin = await dbg();
    assert.equal(fin.status, "ended");
    const rate = fin.framesSent / ((fin.endedAt - fin.liveAt) / 1000);
    L.note(`frames sent ${fin.framesSent} (${rate.toFixed(1)}/s), received ${fin.framesReceived}, played ${fin.samplesPlayed} samples, underruns ${fin.underruns}, dropped ${fin.framesDropped} capture frames`);
    assert.ok(rate > 40 && rate < 56, `capture sends 20 ms frames in real time (${rate.toFixed(1)}/s)`);
    assert.equal(await b.page.evaluate(() => window.__call.muted), false);
    const rec = await L.waitUntil(async () => { const r = await L.api("GET", `/call/${callId}`); return r.json?.status === "ended" ? r.json : null; },
                                  10000, "the call to end on the server");
    assert.equal(rec.endedReason, "customer-ended-call");
    const userMsgs = (rec.messages || []).filter((m) => m.role === "user");
    assert.ok(userMsgs.some((m) => /appointment|book/.test(m.message || m.content || "")), "the record has the caller's words");
    assert.deepEqual(b.errors, [], "no console errors");
    L.note(`whole call test took ${Date.now() - t0} ms`);
});

test("a web call at 48 kHz (the path Firefox takes): the server hears the caller and the reply is played", async (t) => {
    const { a, b } = await openCall(t, { name: "webcall-48k" });
    const started = await b.page.evaluate((o) => window.runCall(o),
                                          { assistantId: a.json.id, publicKey: L.PUBLIC_KEY, sampleRate: 48000 });
    assert.ok(!started.error, `startWebCall failed: ${started.error}`);
    const fw = srv.forwarded.at(-1);
    assert.equal(fw.body.transport.audioFormat.sampleRate, 48000, "the call asks for the context's rate");
    const events = () => b.page.evaluate(() => window.__events);
    const dbg = () => b.page.evaluate(() => ({ ...window.__voxaWebCall }));
    const userFinal = await L.waitUntil(async () => (await events()).find((e) => e.type === "transcript" &&
        e.role === "user" && e.transcriptType === "final" && e.transcript.trim()), 20000, "a final user transcript");
    assert.match(userFinal.transcript, /appointment|book/, "48 kHz frames were heard");
    const d = await L.waitUntil(async () => { const x = await dbg(); return x.loudSamples > 48000 * 0.8 && x.bufferedMs === 0 ? x : null; },
                                20000, "the reply played at 48 kHz");
    L.note("48 kHz call:", JSON.stringify({ rate: d.sampleRate, framesSent: d.framesSent, loud: d.loudSamples, underruns: d.underruns }));
    assert.equal(d.sampleRate, 48000);
    const sent = await b.page.evaluate(() => window.__voxaWebCall.framesSent);
    assert.ok(sent > 0);
    await b.page.evaluate(() => window.__call.hangUp());
    assert.deepEqual(b.errors, []);
});

test("no microphone permission: rejects with a readable error and creates no call", async (t) => {
    const before = await L.api("GET", "/call?limit=1000");
    assert.equal(before.status, 200, before.text);
    const b = await L.launch({ fakeUi: false });
    t.after(b.close);
    await b.page.goto(srv.url);
    const n = srv.forwarded.length;
    const r = await b.page.evaluate((o) => window.runCall(o), { assistantId: "00000000-0000-4000-8000-000000000000", publicKey: L.PUBLIC_KEY });
    assert.match(r.error || "", /^Microphone access was denied/, JSON.stringify(r));
    const ev = await b.page.evaluate(() => window.__events);
    assert.deepEqual(ev.filter((e) => e.type === "status").map((e) => e.status), ["connecting", "error"]);
    assert.match(ev.at(-1).error, /Microphone access was denied/);
    assert.equal(srv.forwarded.length, n, "POST /call/web was never sent");
    const afterList = await L.api("GET", "/call?limit=1000");
    assert.equal(afterList.json.length, before.json.length, "no call was created");
});

test("an API error rejects with the server's message", async (t) => {
    const mic = await L.micWav("hello", { leadS: 0.5, trailS: 1 });
    t.after(mic.cleanup);
    const b = await L.launch({ wav: mic.wav });
    t.after(b.close);
    await b.page.goto(srv.url);
    const n = srv.forwarded.length;
    const r = await b.page.evaluate((o) => window.runCall(o), { assistantId: "00000000-0000-4000-8000-000000000000", publicKey: L.PUBLIC_KEY });
    assert.equal(srv.forwarded.length, n + 1);
    const fw = srv.forwarded.at(-1);
    assert.ok(fw.status >= 400, `the server refused (${fw.status})`);
    const body = JSON.parse(fw.response);
    const expected = Array.isArray(body.message) ? body.message.join("; ") : body.message;
    assert.ok(expected, `the API answered with a message: ${fw.response}`);
    assert.equal(r.error, expected);
    const d = await b.page.evaluate(() => window.__voxaWebCall);
    assert.equal(d.status, "error");
    assert.equal(d.framesSent, 0);
});

test("barge-in: user-interrupted flushes the playback buffer at once", async (t) => {
    const LONG = "Sure. We are open every day from eight in the morning until six in the evening. " +
        "You can come in on Monday, Tuesday, Wednesday, Thursday or Friday, and on Saturday until noon. " +
        "Please bring your insurance card and arrive ten minutes early so that we can get you checked in.";
    // The sentence repeats every 5 s: the second time it cuts into the long reply.
    // A rule without criteria: LONG for every turn ("rules: []" would give the built-in
    // greeting for "hello ...", short enough to end before the sentence comes again).
    const { a, b } = await openCall(t, { name: "webcall-bargein", rules: [{ reply: LONG }], fallback: LONG, trailS: 1 });
    const started = await b.page.evaluate((o) => window.runCall(o), { assistantId: a.json.id, publicKey: L.PUBLIC_KEY });
    assert.ok(!started.error, started.error);
    const events = () => b.page.evaluate(() => window.__events);
    const interrupted = await L.waitUntil(async () => (await events()).find((e) => e.type === "message" &&
        e.message.type === "user-interrupted"), 25000, "user-interrupted");
    const d = await L.waitUntil(async () => { const x = await b.page.evaluate(() => ({ ...window.__voxaWebCall })); return x.flushes >= 1 ? x : null; },
                                2000, "the flush");
    L.note(`barge-in: flushed ${d.flushedSamples} samples, played ${d.samplesPlayed} of ${d.bytesReceived / 2} received, buffered ${d.bufferedMs} ms`);
    assert.ok(d.bufferedMs < 40, `the buffer is empty after the flush (${d.bufferedMs} ms)`);
    const speech = (await events()).filter((e) => e.type === "speech" && e.role === "assistant");
    assert.ok(speech.some((e) => e.status === "started" && e.t < interrupted.t), "the assistant was speaking");
    await b.page.evaluate(() => window.__call.hangUp());
    const rec = await L.waitUntil(async () => { const r = await L.api("GET", `/call/${started.id}`); return r.json?.status === "ended" ? r.json : null; },
                                  10000, "the call to end");
    const bot = (rec.messages || []).filter((m) => m.role === "bot" || m.role === "assistant").map((m) => m.message || m.content || "");
    assert.ok(bot.length && bot.every((m) => m.length < LONG.length), `the reply was cut short: ${JSON.stringify(bot)}`);
});
