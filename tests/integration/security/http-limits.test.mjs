// #11 findings 9 and 11: request sizes get an answer (431, 413) rather than a dropped
// connection, and random method names cannot grow /metrics without bound.
import assert from "node:assert/strict";
import { request as httpRequest, Agent } from "node:http";
import { test } from "node:test";

import { rawHttp, voxa } from "./lib.mjs";

test("oversized headers get 431 and oversized bodies 413", async (t) => {
    const v = await voxa(t);
    const big = "x".repeat(100 * 1024);
    const h = await rawHttp(v.port, `GET /assistant HTTP/1.1\r\nHost: a\r\nX-Big: ${big}\r\n\r\n`);
    assert.equal(h.status, 431, `oversized header: ${h.head.split("\r\n")[0] || "connection dropped"}`);
    assert.match(h.text, /"statusCode":431/);

    // A declared length over every limit (the upload limit included): refused from the header.
    const declared = await rawHttp(v.port,
        `POST /assistant HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${v.key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{`);
    assert.equal(declared.status, 413, `10 GB Content-Length: ${declared.head.split("\r\n")[0] || "connection dropped"}`);
    assert.match(declared.text, /"statusCode":413/);

    // Over the JSON limit (1 MiB) but under the upload limit.
    const mid = await rawHttp(v.port,
        `POST /assistant HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${v.key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${5 * 1024 * 1024}\r\n\r\n{`);
    assert.equal(mid.status, 413);

    // Chunked, with no length up front: refused as it passes the limit.
    const chunk = "a".repeat(256 * 1024);
    const chunked = await rawHttp(v.port,
        `POST /assistant HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${v.key}\r\n` +
        `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        { write: (sock) => {
            for (let i = 0; i < 8; i++) sock.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
            sock.write("0\r\n\r\n");
        } });
    assert.equal(chunked.status, 413);

    // The server is still serving.
    assert.equal((await v.api("GET", "/assistant")).status, 200);
});

function send(port, method, agent) {
    return new Promise((resolve) => {
        const req = httpRequest({ host: "127.0.0.1", port, method, path: `/r${Math.random()}`, agent }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode));
        });
        req.on("error", () => resolve(0));
        req.end();
    });
}

test("random methods and paths do not grow /metrics", async (t) => {
    const v = await voxa(t);
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    t.after(() => agent.destroy());
    const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const randomMethod = () =>
        Array.from({ length: 12 }, () => letters[Math.floor(Math.random() * 26)]).join("");
    const burst = async (n) => {
        for (let i = 0; i < n; i += 50)
            await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => send(v.port, randomMethod(), agent)));
    };
    await burst(200);
    const before = (await v.api("GET", "/metrics", undefined, { token: null })).text.length;
    await burst(3000);
    const after = (await v.api("GET", "/metrics", undefined, { token: null })).text;
    // Only counts change after the first burst: no new series.
    assert.ok(after.length < before + 2048,
              `/metrics grew from ${before} to ${after.length} bytes after 3,000 random methods`);
    assert.ok(!/method="[A-Z]{12}"/.test(after), "a random method became a label");
    assert.match(after, /method="other"/);
});
