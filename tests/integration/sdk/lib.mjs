// Shared helpers for the SDK integration suite. Not a test file itself.
//
// The suite drives a RUNNING Voxa server exactly as a Vapi customer would: through the
// official npm client `@vapi-ai/server-sdk`, pointed at Voxa by `baseUrl`. Raw `fetch` is
// used only for what the SDK cannot express (credentials, malformed bodies, headers, CORS).
//
// Environment (run-sdk.sh sets all of these):
//   VOXA_BASE_URL       e.g. http://127.0.0.1:18080
//   VOXA_KEY_A          private key of org A
//   VOXA_PUBLIC_KEY_A   public key of org A
//   VOXA_KEY_B          private key of org B
//   VOXA_ORG_A, VOXA_ORG_B (optional) org ids, checked against `orgId` when present
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { VapiClient, VapiError } from "@vapi-ai/server-sdk";

function required(name) {
    const v = process.env[name];
    if (!v) throw new Error(`environment variable ${name} is required (see tests/integration/run-sdk.sh)`);
    return v;
}

export const BASE_URL = required("VOXA_BASE_URL").replace(/\/+$/, "");
export const KEY_A = required("VOXA_KEY_A");
export const PUBLIC_KEY_A = required("VOXA_PUBLIC_KEY_A");
export const KEY_B = required("VOXA_KEY_B");
export const ORG_A = process.env.VOXA_ORG_A || null;
export const ORG_B = process.env.VOXA_ORG_B || null;

/** A client exactly as a Vapi user builds it, only with the base URL changed. */
export function client(token) {
    return new VapiClient({ token, baseUrl: BASE_URL, maxRetries: 0, timeoutInSeconds: 30 });
}
export const vapiA = client(KEY_A);
export const vapiB = client(KEY_B);

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A short unique tag so that tests running in parallel never collide. */
export const uniq = (prefix = "t") => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A random E.164 number in the fictional +1 555 01xx range. */
export function randomE164() {
    const n = Math.floor(Math.random() * 1e7).toString().padStart(7, "0");
    return `+1555${n}`;
}

/** Raw HTTP against the server (for what the SDK cannot express). */
export async function http(method, path, { token = KEY_A, body, json, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload = body;
    if (json !== undefined) {
        payload = JSON.stringify(json);
        h["Content-Type"] = "application/json";
    }
    const res = await fetch(BASE_URL + path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed;
    try {
        parsed = text.length ? JSON.parse(text) : undefined;
    } catch {
        parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
}

/**
 * Asserts Vapi's NestJS error body: {message: string | string[], error: string, statusCode}.
 * `error` is the reason phrase of the status.
 */
const REASON = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Payload Too Large",
};
export function assertErrorBody(body, status, ctx = "") {
    assert.ok(body && typeof body === "object", `${ctx}: error body must be a JSON object, got ${JSON.stringify(body)}`);
    assert.equal(body.statusCode, status, `${ctx}: body.statusCode`);
    assert.equal(typeof body.error, "string", `${ctx}: body.error must be a string (${JSON.stringify(body)})`);
    if (REASON[status]) assert.equal(body.error, REASON[status], `${ctx}: body.error`);
    const m = body.message;
    const ok = typeof m === "string" || (Array.isArray(m) && m.length > 0 && m.every((x) => typeof x === "string"));
    assert.ok(ok, `${ctx}: body.message must be a string or a non-empty array of strings (${JSON.stringify(body)})`);
}

/** The messages of an error body as an array. */
export const messagesOf = (body) => (Array.isArray(body?.message) ? body.message : [String(body?.message ?? "")]);

/**
 * Runs an SDK call that must fail; asserts the SDK error class, status and Vapi's body.
 * `cls` defaults to VapiError (every SDK error class extends it).
 */
export async function expectSdkError(promiseOrFn, status, { cls = VapiError, ctx = "" } = {}) {
    let err;
    try {
        await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
    } catch (e) {
        err = e;
    }
    assert.ok(err, `${ctx}: expected HTTP ${status}, but the call succeeded`);
    assert.ok(err instanceof VapiError, `${ctx}: expected a VapiError, got ${err?.name}: ${err?.message}`);
    assert.ok(err instanceof cls, `${ctx}: expected ${cls.name}, got ${err.constructor.name}`);
    assert.equal(err.statusCode, status, `${ctx}: statusCode (body ${JSON.stringify(err.body)})`);
    assertErrorBody(err.body, status, ctx);
    return err;
}

/** Asserts a 400 whose message list contains an entry matching `re`. */
export async function expect400(promiseOrFn, re, ctx = "") {
    const err = await expectSdkError(promiseOrFn, 400, { ctx });
    if (re) {
        const msgs = messagesOf(err.body);
        assert.ok(msgs.some((m) => re.test(m)), `${ctx}: expected a message matching ${re}, got ${JSON.stringify(msgs)}`);
    }
    return err;
}

/**
 * Deep "round-trip" check: every field of `expected` is present in `actual` with the same
 * value. Objects may carry extra (server-defaulted) keys; arrays must match element-wise
 * and in length. Returns nothing; throws with the JSON path of the first difference.
 */
export function assertContains(actual, expected, path = "$") {
    if (expected === null || typeof expected !== "object") {
        assert.deepEqual(actual, expected, `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
        return;
    }
    if (Array.isArray(expected)) {
        assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
        assert.equal(actual.length, expected.length, `${path}: array length (got ${JSON.stringify(actual)})`);
        expected.forEach((e, i) => assertContains(actual[i], e, `${path}[${i}]`));
        return;
    }
    assert.ok(actual && typeof actual === "object" && !Array.isArray(actual), `${path}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [k, v] of Object.entries(expected)) {
        assert.ok(Object.prototype.hasOwnProperty.call(actual, k), `${path}.${k}: missing from the response`);
        assertContains(actual[k], v, `${path}.${k}`);
    }
}

/** The common shape of every persisted Vapi object. */
export function assertPersisted(obj, { orgId } = {}) {
    assert.ok(obj && typeof obj === "object", "response must be an object");
    assert.match(String(obj.id), UUID_RE, "id must be a UUID");
    assert.equal(typeof obj.orgId, "string", "orgId must be a string");
    if (orgId) assert.equal(obj.orgId, orgId, "orgId");
    for (const k of ["createdAt", "updatedAt"]) {
        assert.equal(typeof obj[k], "string", `${k} must be an ISO string`);
        assert.ok(!Number.isNaN(Date.parse(obj[k])), `${k} must parse as a date: ${obj[k]}`);
        assert.match(obj[k], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/, `${k} must be ISO-8601`);
    }
    assert.ok(Date.parse(obj.updatedAt) >= Date.parse(obj.createdAt), "updatedAt >= createdAt");
}

/** Creates through an SDK call and asserts the HTTP status is 201. */
export async function created(httpResponsePromise) {
    const { data, rawResponse } = await httpResponsePromise.withRawResponse();
    assert.equal(rawResponse.status, 201, "create must answer 201 Created");
    return data;
}

/** Best-effort cleanup that never fails a test. */
export async function quietly(fn) {
    try {
        await fn();
    } catch {
        /* already gone */
    }
}

export const ids = (arr) => arr.map((x) => x.id);

/** A minimal valid assistant body. */
export const minimalAssistant = (name = uniq("asst")) => ({
    name,
    model: { provider: "openai", model: "gpt-4o", messages: [{ role: "system", content: "You are terse." }] },
});

/** POST /credential (byo-sip-trunk) through raw HTTP: the SDK has no credentials client. */
export async function createSipTrunkCredential(token = KEY_A) {
    const r = await http("POST", "/credential", {
        token,
        json: {
            provider: "byo-sip-trunk",
            name: uniq("trunk"),
            gateways: [{ ip: "203.0.113.10", port: 5060, netmask: 32, inboundEnabled: true, outboundEnabled: true, outboundProtocol: "udp" }],
            outboundAuthenticationPlan: { authUsername: "voxa-user", authPassword: "voxa-secret" },
            outboundLeadingPlusEnabled: true,
        },
    });
    assert.equal(r.status, 201, `POST /credential: ${r.text}`);
    assertPersisted(r.body);
    assert.equal(r.body.provider, "byo-sip-trunk");
    return r.body;
}
