// PCM helpers shared by the integration suites (voice, security). Pure functions: no server,
// no environment, so any suite may import them.

/** RMS of s16le PCM. */
export function rms(pcm) {
    const n = Math.floor(pcm.length / 2);
    if (!n) return 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
        const s = pcm.readInt16LE(i * 2);
        sum += s * s;
    }
    return Math.sqrt(sum / n);
}
