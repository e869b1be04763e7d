// #11 finding 1: the dashboard's static files must never serve anything outside the web
// root: not with an absolute remainder (`//etc/passwd`), not with encoded dots, slashes or
// backslashes, NUL, overlong UTF-8, nor through a symlink that points out of the root.
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { rawHttp, voxa } from "./lib.mjs";

async function webRoot(t) {
    const dir = await mkdtemp(join(tmpdir(), "voxa-sec-web-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const root = join(dir, "out");
    await mkdir(join(root, "sub"), { recursive: true });
    await mkdir(join(dir, "outside"));
    await writeFile(join(root, "index.html"), "<p>dashboard index</p>");
    await writeFile(join(root, "sub", "page.html"), "<p>sub page</p>");
    await writeFile(join(dir, "secret.txt"), "SECRET-OUTSIDE-THE-ROOT");
    await writeFile(join(dir, "outside", "x.txt"), "SECRET-IN-A-SIBLING-DIR");
    await symlink(join(dir, "secret.txt"), join(root, "link.txt"));
    await symlink(join(dir, "outside"), join(root, "outdir"));
    await symlink("/etc", join(root, "etc"));
    return { dir, root };
}

const get = (port, path) =>
    rawHttp(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);

test("static paths stay inside the web root", async (t) => {
    const { root } = await webRoot(t);
    const v = await voxa(t, { web: root });

    // What must still work.
    const index = await get(v.port, "/");
    assert.equal(index.status, 200);
    assert.match(index.text, /dashboard index/);
    const page = await get(v.port, "/sub/page");
    assert.equal(page.status, 200);
    assert.match(page.text, /sub page/);

    const dbPath = join(v.dataDir, "voxa.db");
    const corpus = [
        "//etc/passwd",
        `/${dbPath}`,                        // "//tmp/…/data/voxa.db": the database itself
        "//proc/self/environ",
        "/%2fetc%2fpasswd",
        "/%2Fetc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/%2e%2e/secret.txt",
        "/sub/..%5c..%5csecret.txt",
        "/..\\..\\secret.txt",
        "/%5c%5cetc%5cpasswd",
        "/index.html%00/../../secret.txt",
        "/%c0%ae%c0%ae/secret.txt",
        "/%e0%80%ae%e0%80%ae/secret.txt",
        "/./index.html",
        "/sub/./page.html",
        "/link.txt",                          // symlink to a file outside
        "/outdir/x.txt",                      // through a symlinked directory
        "/etc/passwd",                        // symlink to /etc
        "/etc/hostname",
    ];
    for (const path of corpus) {
        const r = await get(v.port, path);
        const leaked = /root:x:0:0|SQLite format 3|SECRET-|PATH=/.test(r.text);
        assert.ok(!leaked, `${path} leaked a file outside the root (status ${r.status})`);
        assert.notEqual(r.status, 200, `${path} answered 200`);
        assert.notEqual(r.status, 0, `${path}: no answer`);
    }
});
