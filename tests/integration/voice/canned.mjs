// Canned speech for the provider fakes under load (bench/providers/run.mjs): instead of flite,
// a 220 Hz tone of `msPerWord` per word of the text, cut from one pre-rendered buffer, so a
// hundred calls cost the fake next to nothing on the machine that also runs Voxa. The
// protocol around it (messages, chunks, pacing, ends) is the fake's own, unchanged.
//
//   const el = await startElevenLabsFake({ canned: true });     // voices: tone, no flite
//   const dg = await startDeepgramFake({ canned: "i would like to book an appointment" });
//                                                               // transcribers: that text
//   const pcm = await cannedSpeech("Sure, I can help.", { rate: 16000, format: "pcm_s16le" });

const MAX_SECONDS = 60;
const tones = new Map();  // rate -> s16le buffer of MAX_SECONDS

function tone(rate) {
    let t = tones.get(rate);
    if (!t) {
        t = Buffer.alloc(MAX_SECONDS * rate * 2);
        for (let i = 0; i < MAX_SECONDS * rate; i++)
            t.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / rate)), i * 2);
        tones.set(rate, t);
    }
    return t;
}

// G.711 μ-law of one s16 sample (ITU-T G.711, the usual bias-and-segment form).
function ulaw(sample) {
    const sign = sample < 0 ? 0x80 : 0;
    let v = Math.min(Math.abs(sample), 32635) + 0x84;
    let exp = 7;
    for (let mask = 0x4000; !(v & mask) && exp > 0; mask >>= 1) exp--;
    return ~(sign | (exp << 4) | ((v >> (exp + 3)) & 0x0f)) & 0xff;
}

/** The canned "speech" for `text`: words x msPerWord of tone, as s16le or μ-law at `rate`. */
export async function cannedSpeech(text, { rate = 16000, format = "pcm_s16le", msPerWord = 300 } = {}) {
    const words = text.split(/\s+/).filter(Boolean).length;
    const samples = Math.min(MAX_SECONDS * rate, Math.round((words * msPerWord * rate) / 1000));
    const pcm = tone(rate).subarray(0, samples * 2);
    if (format !== "mulaw") return pcm;
    const out = Buffer.alloc(samples);
    for (let i = 0; i < samples; i++) out[i] = ulaw(pcm.readInt16LE(i * 2));
    return out;
}
