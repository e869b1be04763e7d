// #15 bug 8: axe-core on every dashboard page, in both themes, with zero violations.
// axe-core (npm, pinned in package.json) is evaluated in the page through the DevTools
// protocol, which the pages' Content-Security-Policy does not govern; the checks are axe's
// defaults (WCAG 2.x A/AA and best practices).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import * as L from "./lib.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const BASE = L.BASE_URL;
const run = Date.now().toString(36);
const PASSWORD = "correct horse 4242";

/** axe's violations on the page as loaded: [{id, impact, help, targets}]. */
async function violations(page) {
    await page.waitForLoadState("networkidle", { timeout: 10000 }).catch(() => {});
    await page.evaluate(AXE);
    return page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ["violations"] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                          targets: v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")}${n.failureSummary ? `: ${n.failureSummary.split("\n").slice(1, 2).join("").trim()}` : ""}`) }));
    });
}

test("#15 bug 8: axe-core finds no violation on any page, dark and light", async (t) => {
    // An owner with one of everything, so the lists and editors are not empty states.
    const email = `axe-${run}@example.com`;
    const reg = await fetch(BASE + "/auth/register", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD, name: "Ada Axe", orgName: `Axe ${run}` }) });
    assert.equal(reg.status, 201, await reg.text());
    const login = await fetch(BASE + "/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }) });
    const jwt = /voxa_session=([^;]+)/.exec(login.headers.get("set-cookie") || "")[1];
    const api = async (method, path, body) => {
        const r = await fetch(BASE + path, { method, headers: { "Content-Type": "application/json", Cookie: `voxa_session=${jwt}`,
                                                             Origin: BASE }, body: body && JSON.stringify(body) });
        const text = await r.text();
        assert.ok(r.status < 300, `${method} ${path} -> ${r.status}: ${text}`);
        return text ? JSON.parse(text) : null;
    };
    const a = await api("POST", "/assistant", { name: "Axe", model: { provider: "local" }, transcriber: { provider: "local" },
                                                 voice: { provider: "local", voiceId: "kal16" } });
    await api("POST", "/tool", { type: "endCall" });
    await api("POST", "/squad", { name: "Axe squad", members: [{ assistantId: a.id }] });
    await api("POST", "/phone-number", { provider: "vapi", name: "Axe line", sipUri: `sip:axe-${run}@voxa.local`, assistantId: a.id });
    const call = await api("POST", "/call/web", { assistantId: a.id });  // never joined: ends on its own; Insights has a call

    const signedOut = ["/login/", "/register/", "/forgot-password/", "/no-such-page/"];
    const signedIn = ["/assistants/", `/assistants/edit/?id=${a.id}`, "/assistants/new/", "/calls/", `/calls/detail/?id=${call.id}`, "/insights/", "/tools/",
                      "/squads/", "/phone-numbers/", "/webhook-logs/", "/keys/", "/settings/", "/members/"];
    const found = [];
    const shots = [];
    // Each page at a desktop and a phone size (dark theme), for review: build/test-artifacts/web/pages/.
    const snap = async (page, path, theme) => {
        if (theme !== "dark") return;
        const name = path.replace(/\?.*$/, "").replace(/^\/|\/$/g, "").replace(/\//g, "-") || "root";
        for (const [w, h] of [[1440, 900], [390, 844]]) {
            await page.setViewportSize({ width: w, height: h });
            shots.push(await L.screenshot(page, `pages/${name}-${w}x${h}`, { fullPage: false }));
        }
        await page.setViewportSize({ width: 1280, height: 800 });
    };
    for (const theme of ["dark", "light"]) {
        const b = await L.launch({});
        t.after(b.close);
        await b.context.addInitScript((th) => { try { localStorage.setItem("voxa-theme", th); } catch {} }, theme);
        for (const path of signedOut) {
            await b.page.goto(BASE + path);
            for (const v of await violations(b.page)) found.push({ theme, path, ...v });
            await snap(b.page, path, theme);
        }
        await b.context.addCookies([{ name: "voxa_session", value: jwt, url: BASE }]);
        for (const path of signedIn) {
            await b.page.goto(BASE + path);
            await b.page.locator("main").first().waitFor({ timeout: 10000 }).catch(() => {});
            for (const v of await violations(b.page)) found.push({ theme, path, ...v });
            await snap(b.page, path, theme);
        }
    }
    L.note(`${shots.length} page screenshots (1440x900 and 390x844) in ${L.ARTIFACTS}/pages`);
    for (const v of found) L.note(`axe: [${v.theme}] ${v.path} ${v.impact} ${v.id} (${v.help}): ${v.targets.join(" | ")}`);
    assert.deepEqual(found.map((v) => `[${v.theme}] ${v.path} ${v.id}`), [], "axe-core violations");
});
