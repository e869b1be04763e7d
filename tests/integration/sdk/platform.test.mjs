// Cross-cutting HTTP behaviour: authentication, health, metrics, request ids, CORS, body limit.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
    vapiA, client, KEY_A, PUBLIC_KEY_A, BASE_URL, http, expectSdkError, assertErrorBody, uniq, minimalAssistant, quietly,
} from "./lib.mjs";

describe("authentication", () => {
    test("a wrong private key → 401 through the SDK", async () => {
        const bad = client("sk-this-is-not-a-key");
        const err = await expectSdkError(bad.assistants.list(), 401, { ctx: "bad key" });
        assert.equal(err.body.error, "Unauthorized");
    });

    test("a well-formed but unknown key (UUID) → 401", async () => {
        await expectSdkError(client("7b0b1b6e-3d2c-4c31-9a8e-0d1f2e3a4b5c").tools.list(), 401, { ctx: "unknown uuid key" });
    });

    test("the public key on a private endpoint → 401", async () => {
        const pub = client(PUBLIC_KEY_A);
        await expectSdkError(pub.assistants.list(), 401, { ctx: "public key list" });
        await expectSdkError(pub.assistants.create(minimalAssistant()), 401, { ctx: "public key create" });
        await expectSdkError(pub.phoneNumbers.list(), 401, { ctx: "public key phone numbers" });
    });

    test("no Authorization header → 401 with Vapi's body", async () => {
        for (const [m, p] of [["GET", "/assistant"], ["POST", "/tool"], ["GET", "/file?purpose=assistant"], ["GET", "/v2/phone-number"]]) {
            const r = await http(m, p, { token: null });
            assert.equal(r.status, 401, `${m} ${p}`);
            assertErrorBody(r.body, 401, `${m} ${p}`);
        }
    });

    test("a non-Bearer scheme → 401", async () => {
        const r = await http("GET", "/assistant", { token: null, headers: { Authorization: `Basic ${Buffer.from("a:b").toString("base64")}` } });
        assert.equal(r.status, 401);
        assertErrorBody(r.body, 401);
    });

    test("authentication is checked before validation (bad key + bad body → 401)", async () => {
        const r = await http("POST", "/assistant", { token: "nope", json: { foo: 1 } });
        assert.equal(r.status, 401);
    });

    test("the SDK sends its own headers and Voxa accepts them", async () => {
        // A plain SDK call with the SDK's X-Fern-* and User-Agent headers must just work.
        const list = await vapiA.assistants.list({ limit: 1 });
        assert.ok(Array.isArray(list));
    });
});

describe("health and metrics", () => {
    test("GET /health → 200 without a key", async () => {
        const r = await fetch(`${BASE_URL}/health`);
        assert.equal(r.status, 200);
        await r.arrayBuffer();
    });

    test("GET /health/ready → 200 without a key", async () => {
        const r = await fetch(`${BASE_URL}/health/ready`);
        assert.equal(r.status, 200);
        await r.arrayBuffer();
    });

    test("GET /metrics → Prometheus text with request counters", async () => {
        // make sure there is traffic to count, including an error
        await vapiA.assistants.list({ limit: 1 });
        await http("GET", "/assistant", { token: null });
        const r = await fetch(`${BASE_URL}/metrics`);
        assert.equal(r.status, 200);
        assert.match(r.headers.get("content-type") ?? "", /^text\/plain/);
        const text = await r.text();
        assert.match(text, /^# TYPE \S+ counter$/m, "exposes at least one counter");
        const counter = /^([a-zA-Z_:][a-zA-Z0-9_:]*requests?_total)(\{[^}]*\})?\s+([0-9.e+]+)/m.exec(text);
        assert.ok(counter, `a *_requests_total sample is exposed:\n${text.slice(0, 2000)}`);
        const total = [...text.matchAll(new RegExp(`^${counter[1]}(\\{[^}]*\\})?\\s+([0-9.e+]+)`, "gm"))]
            .reduce((s, m) => s + Number(m[2]), 0);
        assert.ok(total >= 2, `request counter counts requests (sum=${total})`);
    });
});

describe("request ids", () => {
    test("X-Request-Id is echoed back", async () => {
        const id = uniq("req");
        const r = await fetch(`${BASE_URL}/assistant?limit=1`, { headers: { Authorization: `Bearer ${KEY_A}`, "X-Request-Id": id } });
        await r.arrayBuffer();
        assert.equal(r.status, 200);
        assert.equal(r.headers.get("x-request-id"), id);
    });

    test("X-Request-Id is echoed on errors too", async () => {
        const id = uniq("req");
        const r = await fetch(`${BASE_URL}/assistant/00000000-0000-4000-8000-00000000000f`, {
            headers: { Authorization: `Bearer ${KEY_A}`, "X-Request-Id": id },
        });
        await r.arrayBuffer();
        assert.equal(r.status, 404);
        assert.equal(r.headers.get("x-request-id"), id);
    });
});

describe("CORS", () => {
    test("preflight OPTIONS /assistant with Origin → Access-Control-Allow-Origin", async () => {
        const origin = "https://dashboard.example.com";
        const r = await fetch(`${BASE_URL}/assistant`, {
            method: "OPTIONS",
            headers: {
                Origin: origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        });
        await r.arrayBuffer();
        assert.ok(r.status === 200 || r.status === 204, `preflight status ${r.status}`);
        const allow = r.headers.get("access-control-allow-origin");
        assert.ok(allow === "*" || allow === origin, `Access-Control-Allow-Origin: ${allow}`);
        const methods = (r.headers.get("access-control-allow-methods") ?? "").toUpperCase();
        assert.ok(methods.includes("POST") || methods === "*", `Access-Control-Allow-Methods: ${methods}`);
        const hdrs = (r.headers.get("access-control-allow-headers") ?? "").toLowerCase();
        assert.ok(hdrs === "*" || (hdrs.includes("authorization") && hdrs.includes("content-type")), `Access-Control-Allow-Headers: ${hdrs}`);
    });

    test("a simple request with Origin gets Access-Control-Allow-Origin", async () => {
        const origin = "https://app.example.com";
        const r = await fetch(`${BASE_URL}/assistant?limit=1`, { headers: { Origin: origin, Authorization: `Bearer ${KEY_A}` } });
        await r.arrayBuffer();
        const allow = r.headers.get("access-control-allow-origin");
        assert.ok(allow === "*" || allow === origin, `Access-Control-Allow-Origin: ${allow}`);
    });
});

describe("body size limit", () => {
    test("a 2 MiB JSON body → 413", async () => {
        const big = JSON.stringify({ name: "big", firstMessage: "x".repeat(2 * 1024 * 1024) });
        let status;
        let text = "";
        try {
            const r = await fetch(`${BASE_URL}/assistant`, {
                method: "POST",
                headers: { Authorization: `Bearer ${KEY_A}`, "Content-Type": "application/json" },
                body: big,
            });
            status = r.status;
            text = await r.text();
        } catch (e) {
            assert.fail(`the server must answer 413, not drop the connection (${e.cause?.code ?? e.message})`);
        }
        assert.equal(status, 413, text.slice(0, 300));
        const body = JSON.parse(text);
        assertErrorBody(body, 413, "413");
    });

    test("the server still serves requests after a 413", async () => {
        const a = await vapiA.assistants.create(minimalAssistant());
        await quietly(() => vapiA.assistants.delete({ id: a.id }));
    });

    test("a body just under 1 MiB is accepted", async () => {
        const a = await vapiA.assistants.create({ name: uniq("near-limit"), firstMessage: "y".repeat(1024 * 1024 - 4096) });
        assert.equal(a.firstMessage.length, 1024 * 1024 - 4096);
        await vapiA.assistants.delete({ id: a.id });
    });
});

describe("routing", () => {
    test("an unknown path → 404 with Vapi's body", async () => {
        const r = await http("GET", "/no-such-resource");
        assert.equal(r.status, 404);
        assertErrorBody(r.body, 404);
    });
});
