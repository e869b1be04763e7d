// The turn-taking targets (issue #14), in one place: turn-taking.test.mjs fails when a number
// is worse than these; bench/turns prints the numbers against them. With the small corpus of
// make test (12 events that must not interrupt, 3 pauses) a rate target under 1/12 means
// "none at all". VOXA_TURNS_TARGETS='{"falseInterruption":0.2}' overrides single entries.
export const TARGETS = {
    falseInterruption: 0.03,   // backchannels, noise, coughs, knocks, echo together
    premature: 0.02,           // answers on 0.5-1.2 s mid-sentence pauses
    bargeStopP95Ms: 250,       // caller's first sample -> assistant audio silent at the client
    bargeSilent: 0,            // barge-ins after which no reply came
    turnToRequestP50Ms: 300,   // caller's last voiced sample -> model request
    turnToAudioP50Ms: 600,     // caller's last voiced sample -> first assistant audio
};

export function targets() {
    const extra = process.env.VOXA_TURNS_TARGETS;
    return extra ? { ...TARGETS, ...JSON.parse(extra) } : { ...TARGETS };
}

/** The targets a summary (runner.mjs summarize) misses, as readable lines. */
export function misses(s, t = targets()) {
    const out = [];
    const over = (name, v, max, unit = "") => {
        if (v === null || v === undefined || v > max) out.push(`${name} ${v === null || v === undefined ? "n/a" : v + unit} > ${max}${unit}`);
    };
    over("false interruptions", s.falseInterruption.rate, t.falseInterruption);
    over("premature answers", s.premature.rate, t.premature);
    over("barge-in stop p95", s.bargeStopP95Ms ?? s.bargeStopP95, t.bargeStopP95Ms, " ms");
    over("barge-ins left silent", s.bargeSilent.rate, t.bargeSilent);
    over("end of turn -> request p50", s.turnToRequestP50, t.turnToRequestP50Ms, " ms");
    over("end of turn -> first audio p50", s.turnToAudioP50, t.turnToAudioP50Ms, " ms");
    if (s.byKind.control.k > 0) out.push(`the silent control interrupted ${s.byKind.control.k} time(s): the measure is broken`);
    return out;
}
