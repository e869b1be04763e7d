// Twilio's side of a phone call, for the Twilio tests (twilio*.test.mjs). Not a test file.
//
//   const hook = await voiceWebhook(number, { base });          // signed voice webhook -> TwiML
//   const { url, token } = streamFromTwiml(hook.twiml);
//   const stream = new TwilioStream(url, token, hook.form.CallSid);
//   await stream.open();  stream.say(ulaw);  stream.voicedMs();  stream.stop();
//   twilioSignature(url, form)                                  // X-Twilio-Signature
import { createHmac, randomBytes } from "node:crypto";
import * as L from "./lib.mjs";

/** The auth token of the tests' Twilio numbers (it signs every webhook). */
export const AUTH_TOKEN = "twilio-auth-token-test";

/** base64(HMAC-SHA1(authToken, url + sorted(name + value))), as Twilio signs a webhook. */
export function twilioSignature(url, form, authToken = AUTH_TOKEN) {
    const data = url + Object.keys(form).sort().map((k) => k + form[k]).join("");
    return createHmac("sha1", authToken).update(data).digest("base64");
}

/** Twilio's voice webhook for an inbound call to `to`: {status, type, twiml, form}. */
export async function voiceWebhook(to, { from = "+15557654321", sign = true, badSignature = false, base = L.BASE_URL } = {}) {
    const form = { AccountSid: "AC" + randomBytes(16).toString("hex"), CallSid: "CA" + randomBytes(16).toString("hex"),
                   CallStatus: "ringing", Direction: "inbound", ApiVersion: "2010-04-01", From: from, To: to,
                   Caller: from, Called: to };
    const url = `${base}/twilio/inbound_call`;
    const headers = { "Content-Type": "application/x-www-form-urlencoded" };
    if (sign) headers["X-Twilio-Signature"] = badSignature ? "bm9wZQ==" : twilioSignature(url, form);
    const res = await fetch(url, { method: "POST", headers, body: new URLSearchParams(form) });
    return { status: res.status, type: res.headers.get("content-type"), twiml: await res.text(), form };
}

/** Twilio's end of a Media Stream: 20 ms mu-law frames out, the server's media collected. */
export class TwilioStream {
    constructor(url, token, callSid) {
        this.ws = new WebSocket(url);
        this.streamSid = "MZ" + randomBytes(16).toString("hex");
        this.callSid = callSid;
        this.token = token;
        this.received = [];   // {t, bytes}
        this.events = [];     // every non-media message
        this.queue = [];
        this.ws.addEventListener("message", (ev) => {
            const m = JSON.parse(ev.data);
            if (m.event === "media") this.received.push({ t: L.now(), bytes: Buffer.from(m.media.payload, "base64"), sid: m.streamSid });
            else this.events.push({ t: L.now(), ...m });
        });
        this.closed = new Promise((r) => this.ws.addEventListener("close", (ev) => r(ev.code)));
    }
    async open() {
        await new Promise((resolve, reject) => {
            this.ws.addEventListener("open", resolve, { once: true });
            this.ws.addEventListener("error", () => reject(new Error("stream refused")), { once: true });
        });
        const send = (o) => this.ws.readyState === 1 && this.ws.send(JSON.stringify(o));
        send({ event: "connected", protocol: "Call", version: "1.0.0" });
        send({ event: "start", sequenceNumber: "1", streamSid: this.streamSid,
               start: { streamSid: this.streamSid, callSid: this.callSid, tracks: ["inbound"],
                        customParameters: { token: this.token },
                        mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 } } });
        const t0 = Date.now();
        let n = 0;
        this.timer = setInterval(() => {
            // Drift-free: catch up to where the clock says we should be.
            while (n * 20 <= Date.now() - t0) {
                const frame = this.queue.length ? this.queue.shift() : Buffer.alloc(160, 0xff);
                send({ event: "media", sequenceNumber: String(n + 2), streamSid: this.streamSid,
                       media: { track: "inbound", chunk: String(n + 1), timestamp: String(n * 20), payload: frame.toString("base64") } });
                n++;
            }
        }, 10);
        this.closed.then(() => clearInterval(this.timer));
    }
    say(ulaw) {
        for (let i = 0; i < ulaw.length; i += 160) {
            const f = Buffer.alloc(160, 0xff);
            ulaw.copy(f, 0, i, Math.min(i + 160, ulaw.length));
            this.queue.push(f);
        }
    }
    stop() {
        clearInterval(this.timer);
        if (this.ws.readyState === 1) this.ws.send(JSON.stringify({ event: "stop", streamSid: this.streamSid, stop: { callSid: this.callSid } }));
    }
    receivedMs() { return this.received.reduce((a, r) => a + r.bytes.length, 0) / 8; }
    voicedMs() { // frames that are not silence
        return this.received.filter((r) => L.rms(L.decodeMulaw(r.bytes)) > 300).length * 20;
    }
}

/** The <Stream url> and its token <Parameter> of a TwiML answer. */
export function streamFromTwiml(twiml) {
    const url = /<Stream\b[^>]*\burl="([^"]+)"/.exec(twiml)?.[1]?.replace(/&amp;/g, "&");
    const token = /<Parameter\b[^>]*name="token"[^>]*value="([^"]*)"/.exec(twiml)?.[1];
    return { url, token };
}
