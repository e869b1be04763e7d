// An in-test webhook receiver: a customer's server URL as Vapi users write one.
//
//   const rx = await startReceiver((req) => ({ status: 200, json: {} }));  // handler optional
//   ... assistant.server = { url: rx.url + "/hook" } ...
//   await rx.waitFor((reqs) => reqs.some((r) => r.type === "end-of-call-report"));
//   rx.requests -> [{ t, path, headers, text, json, type, status }]   (every request, in arrival order)
//   rx.delivered() -> the requests answered 2xx
//   await rx.close();
//
// The handler may return {status, json | text, delayMs} or a Promise of it; `hang: true`
// never answers (the sender's timeout must fire). Default: 200 {}.
import http from "node:http";
import { createHmac } from "node:crypto";
import { collect } from "./schema-log.mjs";

export async function startReceiver(handler = () => ({ status: 200, json: {} })) {
    const requests = [];
    const waiters = new Set();
    const sockets = new Set();
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", async () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json;
            try {
                json = JSON.parse(text);
            } catch {
                json = undefined;
            }
            if (json?.message) collect("server", json, `receiver ${req.url}`);
            const entry = { t: Date.now(), path: req.url, headers: req.headers, text, json,
                            type: json?.message?.type, status: 0 };
            let answer;
            try {
                answer = (await handler(entry)) ?? { status: 200, json: {} };
            } catch (e) {
                answer = { status: 500, text: String(e) };
            }
            if (answer.hang) {
                requests.push(entry);
                for (const w of [...waiters]) w();
                return;  // never answered; the client times out
            }
            if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
            entry.status = answer.status ?? 200;
            requests.push(entry);
            const body = answer.text ?? JSON.stringify(answer.json ?? {});
            res.writeHead(entry.status, { "Content-Type": answer.contentType ?? "application/json" });
            res.end(body);
            for (const w of [...waiters]) w();
        });
    });
    server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${server.address().port}`;
    return {
        url,
        requests,
        delivered: () => requests.filter((r) => r.status >= 200 && r.status < 300),
        ofType: (type) => requests.filter((r) => r.type === type),
        waitFor(pred, timeoutMs = 15000, what = "webhooks") {
            return new Promise((resolve, reject) => {
                const check = () => {
                    const v = pred(requests);
                    if (v) {
                        cleanup();
                        resolve(v);
                    }
                };
                const timer = setTimeout(() => {
                    cleanup();
                    reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ` +
                                     JSON.stringify(requests.map((r) => `${r.type}:${r.status}`))));
                }, timeoutMs);
                const cleanup = () => {
                    clearTimeout(timer);
                    waiters.delete(check);
                };
                waiters.add(check);
                check();
            });
        },
        async close() {
            for (const s of sockets) s.destroy();
            await new Promise((r) => server.close(r));
        },
    };
}

/** hex HMAC-SHA256 of `${timestamp}.${body}`, as a Vapi webhook credential (type hmac) signs. */
export function hmacHex(secret, payload) {
    return createHmac("sha256", secret).update(payload).digest("hex");
}
