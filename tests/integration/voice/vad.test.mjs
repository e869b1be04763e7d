// The voice activity detector on a noisy line: background noise 10 dB below the caller's
// speech is not the caller (no speech-update), the caller's speech still is. With Silero VAD
// v5 (docs/providers.md, "Voice activity detection"; scripts/engines.sh installs it) rather
// than the WebRTC VAD, which takes nearly every frame of such noise for speech.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import * as L from "./lib.mjs";

const run = promisify(execFile);

// Pink noise from sox (-R: the same every run), s16le at 16 kHz, scaled to `rms`.
async function pinkNoise(seconds, rms) {
    const { stdout } = await run("sox", ["-R", "-n", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer",
                                         "-t", "raw", "-", "synth", String(seconds), "pinknoise"],
                                 { encoding: "buffer", maxBuffer: 1 << 24 });
    const have = L.rms(stdout);
    const out = Buffer.alloc(stdout.length);
    for (let i = 0; i < out.length; i += 2)
        out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round((stdout.readInt16LE(i) * rms) / have))), i);
    return out;
}

test("vad: pink noise 10 dB below speech is not the caller; the caller's speech is", async (t) => {
    const own = await L.ownVoxa(t);
    // The detector loads on a worker at start (one "vad:" log line); calls before get WebRTC's.
    for (let i = 0; i < 100 && !/vad: /.test(own.stderr()); i++) await L.sleep(100);
    L.note(own.stderr().split("\n").find((l) => l.includes("vad: ")) ?? "no vad: log line");

    const speech = await L.synth("Hello, I would like to check my order please");
    const noise = await pinkNoise(3, L.rms(speech) / Math.sqrt(10));
    const { call, client } = await L.ownCall(own, { assistant: L.localAssistant() });
    t.after(() => client.close());
    client.startContinuous();

    const userStarts = () => client.ofType("speech-update").filter((m) => m.role === "user" && m.status === "started");
    const { endedAt: noiseEnd } = await client.streamPcm(noise);
    await L.sleep(300);
    const duringNoise = userStarts().length;
    const speechSent = client.streamPcm(speech);
    const started = await client.waitForMessage({ type: "speech-update", role: "user", status: "started" }, 4000)
        .catch(() => null);
    await speechSent;
    L.note(`vad: ${duringNoise} user speech-update(s) in 3 s of pink noise at 10 dB SNR; speech ` +
           (started ? `detected ${Math.round(started.t - noiseEnd - 300)} ms after it was queued` : "not detected"));
    assert.equal(duringNoise, 0, "the noise was taken for the caller's speech");
    assert.ok(started, "the caller's speech was not detected");
    client.close();
    await L.ownEnded(own, call.id);
});
