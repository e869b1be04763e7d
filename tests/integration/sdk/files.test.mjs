// Files through the SDK: multipart upload with files.create, get, list by purpose, PATCH name,
// content download (Voxa's GET /file/{id}/content, which `url` points at), delete.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Vapi } from "@vapi-ai/server-sdk";
import {
    vapiA, ORG_A, KEY_A, BASE_URL, uniq, sleep, created, assertPersisted, expectSdkError, quietly,
} from "./lib.mjs";

const cleanup = [];
after(async () => {
    for (const id of cleanup) await quietly(() => vapiA.files.delete({ id }));
});

async function download(url, token = KEY_A) {
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe("files", () => {
    const text = Buffer.from(`Voxa knowledge ${uniq("doc")}\nline two\n`, "utf8");
    const filename = `${uniq("notes")}.txt`;
    let file;

    test("files.create uploads a buffer (multipart) → 201 File", async () => {
        file = await created(
            vapiA.files.create({
                file: { data: text, filename, contentType: "text/plain" },
                purpose: "assistant",
                metadata: JSON.stringify({ owner: "integration", n: 1 }),
            }),
        );
        cleanup.push(file.id);
        assertPersisted(file, { orgId: ORG_A });
        assert.equal(file.object, "file");
        assert.equal(file.status, "done");
        assert.equal(file.originalName, filename);
        assert.equal(typeof file.name, "string");
        assert.ok(file.name.length > 0);
        assert.equal(file.bytes, text.length);
        assert.match(file.mimetype, /^text\/plain/);
        assert.equal(file.purpose, "assistant");
        assert.deepEqual(file.metadata, { owner: "integration", n: 1 }, "metadata JSON string is stored as an object");
        assert.equal(typeof file.url, "string");
        assert.match(new URL(file.url).pathname, new RegExp(`/file/${file.id}/content$`), "url points to /file/{id}/content");
    });

    test("files.get returns the metadata", async () => {
        const got = await vapiA.files.get({ id: file.id });
        for (const k of ["id", "orgId", "object", "status", "name", "originalName", "bytes", "mimetype", "purpose", "url", "createdAt"]) {
            assert.deepEqual(got[k], file[k], k);
        }
    });

    test("GET /file/{id}/content returns the exact bytes", async () => {
        const r = await download(`${BASE_URL}/file/${file.id}/content`);
        assert.equal(r.status, 200);
        assert.ok(r.bytes.equals(text), "content bytes match the upload");
        assert.match(r.headers.get("content-type") ?? "", /^text\/plain/);
    });

    test("the `url` field is fetchable and serves the same bytes", async () => {
        const r = await download(file.url);
        assert.equal(r.status, 200, `GET ${file.url}`);
        assert.ok(r.bytes.equals(text));
    });

    test("files.list filters by purpose", async () => {
        const mine = await vapiA.files.list({ purpose: "assistant" });
        assert.ok(Array.isArray(mine));
        assert.ok(mine.some((f) => f.id === file.id), "listed under its purpose");
        assert.ok(mine.every((f) => f.purpose === "assistant"), "only that purpose");
        const other = await vapiA.files.list({ purpose: "knowledge-base-v2" });
        assert.ok(!other.some((f) => f.id === file.id), "not listed under another purpose");
    });

    test("files.update renames", async () => {
        await sleep(20);
        const p = await vapiA.files.update({ id: file.id, name: "renamed.txt" });
        assert.equal(p.name, "renamed.txt");
        assert.equal(p.originalName, filename);
        assert.ok(Date.parse(p.updatedAt) > Date.parse(file.updatedAt));
    });

    test("binary upload keeps every byte", async () => {
        const bin = randomBytes(64 * 1024);
        const f = await vapiA.files.create({
            file: { data: bin, filename: "noise.bin", contentType: "application/octet-stream" },
            purpose: "knowledge-base-v2",
        });
        cleanup.push(f.id);
        assert.equal(f.bytes, bin.length);
        const r = await download(`${BASE_URL}/file/${f.id}/content`);
        assert.equal(r.status, 200);
        assert.ok(r.bytes.equals(bin), "binary round-trip");
    });

    test("files.create with a bad purpose → BadRequestError", async () => {
        await expectSdkError(
            vapiA.files.create({ file: { data: Buffer.from("x"), filename: "x.txt" }, purpose: "not-a-purpose" }),
            400,
            { cls: Vapi.BadRequestError, ctx: "bad purpose" },
        );
    });

    test("POST /file without a `file` part → 400", async () => {
        const fd = new FormData();
        fd.append("purpose", "assistant");
        const res = await fetch(`${BASE_URL}/file`, { method: "POST", headers: { Authorization: `Bearer ${KEY_A}` }, body: fd });
        assert.equal(res.status, 400);
        const body = await res.json();
        assert.equal(body.statusCode, 400);
        assert.equal(body.error, "Bad Request");
    });

    test("files.delete returns the file, then get and content are 404", async () => {
        const d = await vapiA.files.delete({ id: file.id });
        assert.equal(d.id, file.id);
        await expectSdkError(vapiA.files.get({ id: file.id }), 404, { ctx: "GET after DELETE" });
        const r = await download(`${BASE_URL}/file/${file.id}/content`);
        assert.equal(r.status, 404, "content is gone too");
        const list = await vapiA.files.list({ purpose: "assistant" });
        assert.ok(!list.some((f) => f.id === file.id));
    });
});
