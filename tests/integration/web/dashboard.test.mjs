// The dashboard end to end, as a person uses it: register, create an assistant from a template,
// edit and save it, talk to it through the browser (fake microphone speaking a flite sentence),
// find the call in the logs with its transcript, recording and latencies, see it in insights,
// invite a viewer who can read but not change anything. Every page visited is saved as a PNG
// under build/test-artifacts/web/, and the JS weight of a cold /login/ and /assistants/ load
// goes to build/test-artifacts/web/page-weight.json.
//
// Selectors and pages are the contract of docs/dashboard.md and the dashboard's data-testids.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as L from "./lib.mjs";

const BASE = L.BASE_URL;
const PASSWORD = "correct horse 42";
const SENTENCE = "hello I would like to book an appointment";
const run = Date.now().toString(36);
const OWNER = { email: `owner-${run}@example.com`, name: "Olive Owner", orgName: `Clinic ${run}` };
const VIEWER = { email: `viewer-${run}@example.com`, name: "Victor Viewer" };
const NEW_NAME = `Front desk ${run}`;
const NEW_FIRST = "Hi.";

const tid = (id) => `[data-testid="${id}"]`;
const shots = [];

async function shot(page, name, opts) {
    await page.waitForLoadState("networkidle", { timeout: 5000 }).catch(() => {});
    shots.push(await L.screenshot(page, name, opts));
}

/** The session JWT from a browser context's cookies (for API checks from node). */
async function sessionOf(context) {
    const c = (await context.cookies(BASE)).find((x) => x.name === "voxa_session");
    return c?.value || null;
}

/** fetch() from inside the page (same origin, the session cookie goes along). */
function pageFetch(page, method, path, body) {
    return page.evaluate(async ([method, path, body]) => {
        const res = await fetch(path, { method, credentials: "include",
            headers: body === undefined ? {} : { "Content-Type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        let json;
        try { json = JSON.parse(text); } catch {}
        return { status: res.status, contentType: res.headers.get("content-type"), json, text: text.slice(0, 2000) };
    }, [method, path, body]);
}

/** Alerts, error texts and invalid fields on the page (for failure messages). */
function pageProblems(page) {
    return page.evaluate(() => ({
        alerts: [...document.querySelectorAll('[role="alert"], [data-testid="error"]')].map((e) => (e.textContent || "").trim()).filter(Boolean),
        invalid: [...document.querySelectorAll('[aria-invalid="true"]')].map((e) => ({
            id: e.id || e.getAttribute("name") || e.tagName,
            value: "value" in e ? String(e.value).slice(0, 80) : undefined,
            message: (document.getElementById(e.getAttribute("aria-describedby") || "")?.textContent || "").trim(),
        })),
    }));
}

/** POST /auth/login from node: the session cookie's value. */
async function loginApi(email, password) {
    const res = await fetch(BASE + "/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                                    body: JSON.stringify({ email, password }) });
    const text = await res.text();
    assert.equal(res.status, 200, `POST /auth/login -> ${res.status}: ${text}`);
    const m = /voxa_session=([^;]+)/.exec(res.headers.get("set-cookie") || "");
    assert.ok(m, `POST /auth/login set no voxa_session cookie (set-cookie: ${res.headers.get("set-cookie")})`);
    return m[1];
}

/** JS bytes of a cold load: Performance API entries + the network responses. */
async function jsWeight(page, path) {
    const responses = [];
    page.on("response", (r) => {
        const url = r.url();
        if (r.request().resourceType() === "script" || /\.js(\?|$)/.test(url)) responses.push(r);
    });
    await page.goto(BASE + path, { waitUntil: "load" });
    await page.waitForLoadState("networkidle", { timeout: 10000 }).catch(() => {});
    const perf = await page.evaluate(() => performance.getEntriesByType("resource")
        .filter((e) => /\.js(\?|$)/.test(new URL(e.name).pathname) || e.initiatorType === "script")
        .map((e) => ({ name: new URL(e.name).pathname, transferSize: e.transferSize, encodedBodySize: e.encodedBodySize,
                       decodedBodySize: e.decodedBodySize })));
    let bodyBytes = 0;
    for (const r of responses) {
        try {
            bodyBytes += (await r.body()).length;
        } catch {}
    }
    const sum = (k) => perf.reduce((s, e) => s + (e[k] || 0), 0);
    return { path, finalUrl: new URL(page.url()).pathname, scripts: perf.length,
             jsTransferBytes: sum("transferSize"), jsEncodedBytes: sum("encodedBodySize"),
             jsDecodedBytes: sum("decodedBodySize"), jsResponseBodyBytes: bodyBytes,
             files: perf.sort((a, b) => b.encodedBodySize - a.encodedBodySize) };
}

let mic, owner, viewer;
const state = {}; // what the steps learn: assistantId, callId, userWords, inviteUrl, ...
let failed = null;

/** A step of the one long scenario: skipped (not run) once an earlier one failed. */
function step(t, name, fn) {
    return t.test(name, async (st) => {
        if (failed) {
            st.skip(`an earlier step failed (${failed})`);
            return;
        }
        try {
            await fn(st);
        } catch (e) {
            failed = name;
            throw e;
        }
    });
}

before(async () => {
    mkdirSync(L.ARTIFACTS, { recursive: true });
    // The sentence repeats every ~10 s (the file loops): a turn lost to startup timing comes again.
    mic = await L.micWav(SENTENCE, { leadS: 1.5, trailS: 6 });
});

after(async () => {
    await viewer?.close();
    await owner?.close();
    mic?.cleanup();
    if (shots.length) L.note(`${shots.length} screenshots in ${L.ARTIFACTS}`);
});

test("dashboard: register, template, edit, talk, call logs, insights, invite a viewer", async (t) => {
    const t0 = Date.now();
    owner = await L.launch({ wav: mic.wav });
    const page = owner.page;

    await step(t, "login and register pages render", async () => {
        await page.goto(BASE + "/login/");
        await page.locator("#email").waitFor({ timeout: 15000 });
        await page.locator("#password").waitFor();
        await page.locator(tid("login-submit")).waitFor();
        await shot(page, "login");
        // A wrong password shows an error, not a crash.
        await page.fill("#email", "nobody@example.com");
        await page.fill("#password", "wrong password 1");
        await page.click(tid("login-submit"));
        await page.locator(tid("error")).waitFor({ timeout: 10000 });
        assert.match(await page.locator(tid("error")).innerText(), /invalid email or password/i);
        await page.goto(BASE + "/register/");
        for (const id of ["email", "password", "name", "orgName"]) await page.locator(`#${id}`).waitFor({ timeout: 15000 });
        await shot(page, "register");
    });

    await step(t, "1. the first owner follows the setup link voxa serve printed -> lands in the app", async () => {
        assert.ok(process.env.VOXA_SETUP_URL, "run-web.sh exports the printed setup link");
        await page.goto(process.env.VOXA_SETUP_URL);
        await page.locator("#orgName").waitFor({ timeout: 15000 });
        await shot(page, "register-setup");
        await page.fill("#email", OWNER.email);
        await page.fill("#password", PASSWORD);
        await page.fill("#name", OWNER.name);
        await page.fill("#orgName", OWNER.orgName);
        await page.click(tid("register-submit"));
        await page.waitForURL((u) => u.pathname === "/assistants/", { timeout: 15000 });
        await page.locator(tid("nav-assistants")).waitFor();
        await page.locator(tid("user-menu")).waitFor();
        const me = await pageFetch(page, "GET", "/auth/me");
        assert.equal(me.status, 200, me.text);
        assert.equal(me.json.user.email, OWNER.email);
        assert.equal(me.json.role, "owner");
        assert.equal(me.json.org.name, OWNER.orgName);
        state.orgId = me.json.org.id;
        state.jwt = await sessionOf(owner.context);
        assert.ok(state.jwt, "the voxa_session cookie is set");
        await shot(page, "assistants");
    });

    await step(t, "2. create an assistant from the appointment-booking template -> editor", async () => {
        await page.click(tid("new-assistant"));
        const tpl = page.locator(tid("template-appointment-booking"));
        await tpl.waitFor({ timeout: 10000 });
        for (const other of ["template-customer-support", "template-lead-qualification", "template-blank"])
            assert.equal(await page.locator(tid(other)).count(), 1, `${other} is offered`);
        await shot(page, "templates");
        const before = (await L.api("GET", "/assistant", undefined, { token: state.jwt })).json.length;
        await tpl.click();
        // The name first (#15: nothing is created before it), prefilled with the template's.
        const nameInput = page.locator("#newAssistantName");
        await nameInput.waitFor({ timeout: 5000 });
        assert.equal(await nameInput.inputValue(), "Appointment booking");
        assert.equal((await L.api("GET", "/assistant", undefined, { token: state.jwt })).json.length, before, "nothing created yet");
        await nameInput.fill("");
        await page.click(tid("create-assistant"));
        await page.locator("#newAssistantName-error").waitFor({ timeout: 3000 });
        await nameInput.fill("Front desk");
        await page.click(tid("create-assistant"));
        await page.waitForURL((u) => u.pathname === "/assistants/edit/" && u.searchParams.get("id"), { timeout: 15000 });
        state.assistantId = new URL(page.url()).searchParams.get("id");
        await page.locator("#name").waitFor({ timeout: 10000 });
        for (const id of ["firstMessage", "systemPrompt", "temperature", "maxTokens"]) await page.locator(`#${id}`).waitFor();
        await page.locator(tid("talk")).waitFor();
        const a = await L.api("GET", `/assistant/${state.assistantId}`, undefined, { token: state.jwt });
        assert.equal(a.status, 200, a.text);
        state.template = a.json;
        assert.equal(a.json.name, "Front desk", "the name given before creating");
        L.note(`template assistant: model ${a.json.model?.provider}, voice ${a.json.voice?.provider}/${a.json.voice?.voiceId}, transcriber ${a.json.transcriber?.provider}`);
        await shot(page, "editor");
    });

    await step(t, "3. edit name and first message, save -> Saved; reload -> persisted", async () => {
        state.patches = [];
        page.on("response", async (r) => {
            if (r.request().method() === "PATCH") state.patches.push({ url: r.url(), status: r.status(), body: (await r.text().catch(() => "")).slice(0, 500) });
        });
        await page.fill("#name", NEW_NAME);
        await page.fill("#firstMessage", NEW_FIRST);
        await page.locator(tid("unsaved")).waitFor({ timeout: 5000 });
        await page.click(tid("save"));
        await L.waitUntil(async () => (await page.locator(tid("toast")).allInnerTexts()).some((x) => /^Saved\b/.test(x.trim())),
                          10000, 'a "Saved" toast').catch(async (e) => {
            throw new Error(`${e.message}; toasts shown: ${JSON.stringify(await page.locator(tid("toast")).allInnerTexts())}, ` +
                            `PATCH answers: ${JSON.stringify(state.patches)}, page problems: ${JSON.stringify(await pageProblems(page))}`);
        });
        await page.locator(tid("unsaved")).waitFor({ state: "detached", timeout: 5000 }).catch(async () => {
            assert.equal(await page.locator(tid("unsaved")).isVisible(), false, "the unsaved marker is gone after saving");
        });
        await page.reload();
        await page.locator("#name").waitFor({ timeout: 10000 });
        await L.waitUntil(async () => (await page.inputValue("#name")) === NEW_NAME, 5000, "the saved name after reload");
        assert.equal(await page.inputValue("#firstMessage"), NEW_FIRST);
        const a = await L.api("GET", `/assistant/${state.assistantId}`, undefined, { token: state.jwt });
        assert.equal(a.json.name, NEW_NAME);
        assert.equal(a.json.firstMessage, NEW_FIRST);
    });

    await step(t, "4. talk: live -> user line -> assistant line + audio played -> hang up -> ended", async () => {
        const status = page.locator(tid("call-status"));
        await page.click(tid("talk"));
        await L.waitUntil(async () => (await status.count()) && (await status.innerText()).trim() === "live", 15000,
                          'call-status "live"').catch(async (e) => {
            const err = await page.locator(tid("call-error")).allInnerTexts();
            throw new Error(`${e.message}; status ${await status.allInnerTexts()}, call-error ${JSON.stringify(err)}`);
        });
        const liveAt = Date.now();
        await page.locator(tid("volume-in")).waitFor();
        await page.locator(tid("volume-out")).waitFor();
        await page.locator(tid("mute")).waitFor();
        // The SDK's visualizer in the panel: both voices' bars move during the call.
        const vizPeaks = { input: 0, output: 0 };
        const vizTimer = setInterval(() => void page.locator(tid("talk-visualizer")).evaluate((c) => [Number(c.dataset.input || 0), Number(c.dataset.output || 0)])
            .then(([i, o]) => { vizPeaks.input = Math.max(vizPeaks.input, i); vizPeaks.output = Math.max(vizPeaks.output, o); }, () => {}), 100);
        const lines = () => page.evaluate(() => [...document.querySelectorAll('[data-testid="transcript-line"]')]
            .map((e) => ({ role: e.getAttribute("data-role"), text: (e.textContent || "").trim() })));
        const userLine = await L.waitUntil(async () => {
            const ls = await lines();
            const i = ls.findIndex((l) => l.role === "user" && l.text);
            return i >= 0 ? { index: i, ...ls[i] } : null;
        }, 30000, "a user transcript line");
        const loudAtUser = await page.evaluate(() => window.__voxaWebCall?.loudSamples ?? 0);
        L.note(`user line after ${Date.now() - liveAt} ms: "${userLine.text}"`);
        const botLine = await L.waitUntil(async () => (await lines()).slice(userLine.index + 1).find((l) => l.role === "assistant" && l.text),
                                          20000, "an assistant line after the user's");
        L.note(`assistant line: "${botLine.text}"`);
        const played = await L.waitUntil(async () => {
            const d = await page.evaluate(() => ({ ...window.__voxaWebCall }));
            return d.loudSamples - loudAtUser > 16000 * 0.5 ? d : null;
        }, 15000, "the reply to be played (0.5 s of loud samples after the user's turn)");
        assert.ok(played.samplesPlayed > 0 && played.playedRms > 0.005, `played audio has energy: ${JSON.stringify(played)}`);
        // The caller's sentence comes again every ~10 s (the file loops): a loaded machine
        // that drew no frame while it was spoken sees it the next time.
        await L.waitUntil(async () => vizPeaks.input > 0.05 && vizPeaks.output > 0.05, 15000, "both voices on the visualizer")
            .catch(() => {});
        clearInterval(vizTimer);
        L.note(`talk visualizer peaks ${JSON.stringify(vizPeaks)}`);
        assert.ok(vizPeaks.input > 0.05 && vizPeaks.output > 0.05, `the visualizer showed both voices: ${JSON.stringify(vizPeaks)}`);
        await shot(page, "talk", { fullPage: false }); // the panel is fixed to the viewport
        // Mute and unmute.
        await page.click(tid("mute"));
        await L.waitUntil(() => page.evaluate(() => window.__voxaWebCall?.muted === true), 2000, "muted");
        await page.click(tid("mute"));
        await L.waitUntil(() => page.evaluate(() => window.__voxaWebCall?.muted === false), 2000, "unmuted");
        await page.click(tid("hang-up"));
        await L.waitUntil(async () => (await status.innerText()).trim() === "ended", 10000, 'call-status "ended"');
        const d = await page.evaluate(() => ({ ...window.__voxaWebCall }));
        state.callId = d.callId;
        L.note(`call ${d.callId}: frames sent ${d.framesSent}, received ${d.framesReceived}, samples played ${d.samplesPlayed} (rms ${d.playedRms.toFixed(3)}), underruns ${d.underruns}`);
        assert.ok(d.framesSent > 50 && d.framesReceived > 10);
        const link = page.locator(tid("call-detail-link"));
        await link.waitFor({ timeout: 5000 });
        assert.match(await link.getAttribute("href") || "", new RegExp(`/calls/detail/\\?id=${d.callId}`));
        const rec = await L.waitUntil(async () => {
            const r = await L.api("GET", `/call/${state.callId}`, undefined, { token: state.jwt });
            return r.json?.status === "ended" ? r.json : null;
        }, 15000, "the call to end on the server");
        assert.equal(rec.assistantId, state.assistantId);
        assert.equal(rec.endedReason, "customer-ended-call");
        // The words the server heard (the panel's line has them after its role label).
        const heard = (rec.messages || []).filter((m) => m.role === "user").map((m) => m.message || "").filter(Boolean);
        assert.ok(heard.length, `the call record has the user's words: ${JSON.stringify(rec.messages)}`);
        assert.ok(userLine.text.includes(heard[0]), `the panel's user line "${userLine.text}" shows "${heard[0]}"`);
        state.userWords = heard[0];
    });

    await step(t, "5. the call in /calls/ -> detail: transcript, recording, latency table", async () => {
        await page.click(tid("nav-calls"));
        await page.waitForURL((u) => u.pathname === "/calls/", { timeout: 10000 });
        const row = page.locator(`${tid("call-row")}[data-call-id="${state.callId}"]`);
        await row.waitFor({ timeout: 10000 });
        await shot(page, "calls");
        await row.click();
        await page.waitForURL((u) => u.pathname === "/calls/detail/" && u.searchParams.get("id") === state.callId, { timeout: 10000 });
        const transcript = page.locator(tid("transcript"));
        await transcript.waitFor({ timeout: 10000 });
        const words = state.userWords.toLowerCase().split(/\s+/).filter((w) => w.length > 2);
        await L.waitUntil(async () => {
            const text = (await transcript.innerText()).toLowerCase();
            return words.every((w) => text.includes(w));
        }, 5000, `the transcript to contain the user's words "${state.userWords}"`);
        const rec = page.locator(`${tid("recording")}`);
        await rec.waitFor({ timeout: 10000 });
        const src = await page.evaluate(() => {
            const el = document.querySelector('[data-testid="recording"]');
            const audio = el && (el.tagName === "AUDIO" ? el : el.querySelector("audio"));
            return audio ? (audio.currentSrc || audio.src || audio.querySelector("source")?.src || null) : null;
        });
        assert.ok(src, "the recording has an <audio> with a src");
        const audio = await page.evaluate(async (src) => {
            const r = await fetch(src, { credentials: "include" });
            const b = new Uint8Array(await r.arrayBuffer());
            return { status: r.status, type: r.headers.get("content-type"), bytes: b.length,
                     riff: String.fromCharCode(...b.slice(0, 4)) + String.fromCharCode(...b.slice(8, 12)) };
        }, src);
        L.note(`recording ${src}: ${JSON.stringify(audio)}`);
        assert.equal(audio.status, 200);
        assert.match(audio.type || "", /^audio\/(x-)?wav/);
        assert.equal(audio.riff, "RIFFWAVE");
        assert.ok(audio.bytes > 16000, `the recording has audio (${audio.bytes} bytes)`);
        const latency = page.locator(tid("latency-table"));
        await latency.waitFor({ timeout: 10000 });
        const rows = await latency.locator("tbody tr").count();
        assert.ok(rows >= 1, `the latency table has at least one turn (${rows})`);
        await shot(page, "call-detail");
    });

    await step(t, "6. insights shows at least one call", async () => {
        await page.click(tid("nav-insights"));
        await page.waitForURL((u) => u.pathname === "/insights/", { timeout: 10000 });
        const stat = page.locator(tid("stat-calls"));
        await stat.waitFor({ timeout: 10000 });
        for (const s of ["stat-minutes", "stat-cost", "stat-latency"]) await page.locator(tid(s)).waitFor();
        const n = await L.waitUntil(async () => {
            const m = /(\d[\d,]*)/.exec(await stat.innerText());
            const v = m ? Number(m[1].replace(/,/g, "")) : 0;
            return v >= 1 ? v : null;
        }, 10000, "stat-calls >= 1");
        L.note(`insights: ${n} call(s)`);
        await shot(page, "insights");
        // #15 bug 6: stage names on one line each; the Range select shows its whole label; the
        // last 24 hours in hourly buckets (day buckets drew a line between two points).
        const ticks = page.locator(tid("stage-tick"));
        await ticks.first().waitFor({ timeout: 10000 });
        const lines = await ticks.evaluateAll((els) => els.map((e) => e.querySelectorAll("tspan").length));
        assert.ok(lines.every((k) => k <= 1), `latency axis labels wrapped: ${JSON.stringify(lines)}`);
        await page.selectOption("#range", "1");
        const chart = page.locator(`${tid("per-period-chart")}[data-step="hour"]`);
        await chart.waitFor({ timeout: 10000 });
        const buckets = Number(await chart.getAttribute("data-buckets"));
        assert.ok(buckets >= 24 && buckets <= 25, `hourly buckets: ${buckets}`);
        const clipped = await page.locator("#range").evaluate((el) => {
            const c = document.createElement("canvas").getContext("2d");
            const st = getComputedStyle(el);
            c.font = `${st.fontWeight} ${st.fontSize} ${st.fontFamily}`;
            const text = c.measureText(el.options[el.selectedIndex].text).width;
            const room = el.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
            return { text, room };
        });
        assert.ok(clipped.text <= clipped.room, `the Range select clips "Last 24 hours": ${JSON.stringify(clipped)}`);
    });

    await step(t, "the other pages render (keys, settings, tools, squads, phone numbers)", async () => {
        for (const [nav, path, name] of [["nav-keys", "/keys/", "keys"], ["nav-settings", "/settings/", "settings"],
                                         ["nav-tools", "/tools/", "tools"], ["nav-squads", "/squads/", "squads"],
                                         ["nav-phone-numbers", "/phone-numbers/", "phone-numbers"],
                                         ["nav-assistants", "/assistants/", "assistants-list"]]) {
            await page.click(tid(nav));
            await page.waitForURL((u) => u.pathname === path, { timeout: 10000 });
            await shot(page, name);
        }
        await page.click(tid("nav-keys"));
        await page.waitForURL((u) => u.pathname === "/keys/");
        await page.locator(tid("create-key")).waitFor({ timeout: 10000 });
        // The assistant list has the renamed assistant; search finds it.
        await page.click(tid("nav-assistants"));
        await page.locator(tid("assistant-row")).first().waitFor({ timeout: 10000 });
        await page.fill("#search", run);
        await L.waitUntil(async () => {
            const rows = await page.locator(tid("assistant-row")).allInnerTexts();
            return rows.length === 1 && rows[0].includes(NEW_NAME);
        }, 5000, "search to show the one renamed assistant");
    });

    await step(t, "7. invite a viewer: registers via the link; sees no create control; server refuses writes", async () => {
        await page.click(tid("nav-members"));
        await page.waitForURL((u) => u.pathname === "/members/", { timeout: 10000 });
        await page.locator(tid("member-row")).first().waitFor({ timeout: 10000 });
        await page.fill("#inviteEmail", VIEWER.email);
        await page.selectOption("#inviteRole", "viewer");
        await page.click(tid("invite-submit"));
        const urlEl = page.locator(tid("invite-url"));
        await urlEl.waitFor({ timeout: 10000 });
        const tag = await urlEl.evaluate((e) => e.tagName);
        const raw = (tag === "INPUT" || tag === "TEXTAREA" ? await urlEl.inputValue() : await urlEl.innerText()).trim();
        const m = /https?:\/\/\S+/.exec(raw);
        assert.ok(m, `invite-url shows a URL: "${raw}"`);
        state.inviteUrl = m[0];
        L.note(`invite URL: ${state.inviteUrl}`);
        await shot(page, "members");

        viewer = await L.launch({});
        const vp = viewer.page;
        await vp.goto(state.inviteUrl);
        // The link opens the invite page or the register page with the token.
        const toRegister = vp.locator('a[href*="/register/?invite="]');
        await vp.locator(`${tid("register-submit")}, a[href*="/register/?invite="]`).first().waitFor({ timeout: 15000 });
        if (!(await vp.locator(tid("register-submit")).count())) {
            await shot(vp, "invite");
            await toRegister.first().click();
            await vp.waitForURL((u) => u.pathname === "/register/" && u.searchParams.get("invite"), { timeout: 10000 });
            await vp.locator(tid("register-submit")).waitFor({ timeout: 10000 });
        }
        await shot(vp, "register-invite");
        const email = vp.locator("#email");
        if (await email.isEditable()) await email.fill(VIEWER.email);
        else assert.equal(await email.inputValue(), VIEWER.email, "the invite fixes the email");
        await vp.fill("#password", PASSWORD);
        if (await vp.locator("#name").count()) await vp.fill("#name", VIEWER.name);
        await vp.click(tid("register-submit"));
        await vp.waitForURL((u) => u.pathname === "/assistants/", { timeout: 15000 });
        const me = await pageFetch(vp, "GET", "/auth/me");
        assert.equal(me.status, 200, me.text);
        assert.equal(me.json.role, "viewer");
        assert.equal(me.json.org.id, state.orgId, "the viewer joined the owner's org");
        await vp.locator(tid("assistant-row")).first().waitFor({ timeout: 10000 });
        assert.equal(await vp.locator(tid("new-assistant")).count(), 0, "a viewer sees no new-assistant control");
        await shot(vp, "assistants-viewer");
        const create = await pageFetch(vp, "POST", "/assistant", { name: "viewer was here" });
        assert.equal(create.status, 403, `POST /assistant as viewer -> ${create.status} ${create.text}`);
        assert.ok(typeof create.json?.message === "string" && create.json.message, `403 has a message: ${create.text}`);
        const del = await pageFetch(vp, "DELETE", `/assistant/${state.assistantId}`);
        assert.equal(del.status, 403, `DELETE /assistant/:id as viewer -> ${del.status} ${del.text}`);
        assert.ok(typeof del.json?.message === "string" && del.json.message, `403 has a message: ${del.text}`);
        const still = await L.api("GET", `/assistant/${state.assistantId}`, undefined, { token: state.jwt });
        assert.equal(still.status, 200, "the assistant still exists");
        // The owner's member list now has both.
        await page.reload();
        await L.waitUntil(async () => (await page.locator(tid("member-row")).count()) >= 2, 10000, "two member rows");
    });

    await step(t, "logout ends the session", async () => {
        await page.click(tid("user-menu"));
        await page.click(tid("logout"));
        await page.waitForURL((u) => u.pathname === "/login/", { timeout: 10000 });
        const me = await pageFetch(page, "GET", "/auth/me");
        assert.equal(me.status, 401);
        const old = await L.api("GET", "/auth/me", undefined, { token: state.jwt });
        assert.equal(old.status, 401, "the old session token no longer works");
    });

    L.note(`scenario took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (owner.errors.length) L.note(`owner console errors: ${owner.errors.slice(0, 10).join(" | ")}`);
});

test("#15 bug 4: an unknown dashboard path shows the dashboard's 404 page, the API keeps its JSON", async (t) => {
    const b = await L.launch({});
    t.after(b.close);
    for (const path of ["/no-such-page/", "/no-such-page", "/assistants/nope/deeper/"]) {
        const res = await b.page.goto(BASE + path);
        assert.equal(res.status(), 404, `${path}: status`);
        assert.match(res.headers()["content-type"] || "", /^text\/html/, `${path}: an HTML page`);
        await b.page.getByText("This page does not exist.").waitFor({ timeout: 10000 });
        const body = await b.page.evaluate(() => document.body.innerText);
        assert.doesNotMatch(body, /"statusCode"|Cannot GET/, `${path}: no raw API error on the page`);
    }
    // A client that does not ask for HTML (an SDK, curl) gets Vapi's JSON error as before.
    const api = await fetch(BASE + "/no-such-page/", { headers: { Accept: "application/json" } });
    assert.equal(api.status, 404);
    assert.match(api.headers.get("content-type") || "", /application\/json/);
    const err = await api.json();
    assert.equal(err.statusCode, 404);
});

test("#15 bug 7: without a mail server, 'forgot password' says where the link went", async (t) => {
    // This suite's server has no --smtp-url: the link is written to its log, so the page must
    // not promise an email.
    const b = await L.launch({});
    t.after(b.close);
    await b.page.goto(BASE + "/forgot-password/");
    await b.page.fill("#email", `nobody-${run}@example.com`);
    await b.page.click(tid("reset-request-submit"));
    const sent = b.page.locator(tid("reset-sent"));
    await sent.waitFor({ timeout: 10000 });
    const text = await sent.innerText();
    assert.match(text, /not set up on this server/, text);
    assert.match(text, /server's log/, text);
    assert.doesNotMatch(text, /on its way/, text);
});

test("page weight: JS bytes of a cold /login/ and /assistants/", async (t) => {
    // A user of our own (by API), so this test does not depend on the scenario above.
    const email = `weight-${run}@example.com`;
    const reg = await fetch(BASE + "/auth/register", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD, name: "Wendy Weight", orgName: `Weight ${run}` }) });
    assert.equal(reg.status, 201, `POST /auth/register -> ${reg.status}: ${await reg.text()}`);
    const jwt = await loginApi(email, PASSWORD);

    const cold1 = await L.launch({});
    t.after(cold1.close);
    const login = await jsWeight(cold1.page, "/login/");
    const cold2 = await L.launch({});
    t.after(cold2.close);
    await cold2.context.addCookies([{ name: "voxa_session", value: jwt, url: BASE }]);
    const assistants = await jsWeight(cold2.page, "/assistants/");
    const out = { measuredAt: new Date().toISOString(), baseUrl: BASE, login, assistants };
    mkdirSync(L.ARTIFACTS, { recursive: true });
    writeFileSync(join(L.ARTIFACTS, "page-weight.json"), JSON.stringify(out, null, 2) + "\n");
    for (const w of [login, assistants])
        L.note(`page weight ${w.path} (cold, ended at ${w.finalUrl}): ${w.scripts} scripts, ` +
               `${w.jsEncodedBytes} B encoded (${(w.jsEncodedBytes / 1024).toFixed(1)} KiB), ${w.jsTransferBytes} B transferred, ` +
               `${w.jsDecodedBytes} B decoded, ${w.jsResponseBodyBytes} B response bodies`);
    assert.equal(assistants.finalUrl, "/assistants/", "the session cookie kept /assistants/ from redirecting");
    assert.equal(login.finalUrl, "/login/");
    assert.ok(login.scripts > 0 && login.jsEncodedBytes > 0, "scripts were loaded and measured");
    assert.ok(assistants.scripts > 0 && assistants.jsEncodedBytes > 0);
});

test("talk with the microphone denied: a readable call-error, no call created", async (t) => {
    const email = `nomic-${run}@example.com`;
    const reg = await fetch(BASE + "/auth/register", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD, name: "Nora Nomic", orgName: `No mic ${run}` }) });
    assert.equal(reg.status, 201, `POST /auth/register -> ${reg.status}: ${await reg.text()}`);
    const jwt = await loginApi(email, PASSWORD);
    const a = await L.api("POST", "/assistant", { name: "No mic", firstMessage: "Hello.",
        transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "kal16" }, model: { provider: "local" } },
        { token: jwt });
    assert.equal(a.status, 201, a.text);
    const b = await L.launch({ fakeUi: false }); // no auto-accept: the prompt is denied
    t.after(b.close);
    await b.context.addCookies([{ name: "voxa_session", value: jwt, url: BASE }]);
    await b.page.goto(`${BASE}/assistants/edit/?id=${a.json.id}`);
    await b.page.locator(tid("talk")).waitFor({ timeout: 15000 });
    await b.page.click(tid("talk"));
    const err = b.page.locator(tid("call-error"));
    await err.waitFor({ timeout: 10000 });
    const text = (await err.innerText()).trim();
    L.note(`call-error: "${text}"`);
    assert.match(text, /microphone/i, "the error says what is wrong");
    assert.match(text, /denied|allow|permission/i);
    const status = b.page.locator(tid("call-status"));
    if (await status.count()) assert.notEqual((await status.innerText()).trim(), "live");
    await L.sleep(500);
    const calls = await L.api("GET", "/call", undefined, { token: jwt });
    assert.equal(calls.status, 200, calls.text);
    assert.equal(calls.json.length, 0, "no call was created");
});

/** A person of their own (owner of a new org, by API) and a browser signed in as them. */
/** A new owner signed in to a browser of its own; `launch` options go to L.launch (a mic's wav). */
async function ownOwner(t, tag, name, launch = {}) {
    const email = `${tag}-${run}@example.com`;
    const reg = await fetch(BASE + "/auth/register", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD, name, orgName: `${name} ${run}` }) });
    assert.equal(reg.status, 201, `POST /auth/register -> ${reg.status}: ${await reg.text()}`);
    const jwt = await loginApi(email, PASSWORD);
    const b = await L.launch(launch);
    t.after(b.close);
    await b.context.addCookies([{ name: "voxa_session", value: jwt, url: BASE }]);
    return { jwt, page: b.page };
}

/** Chooses `label` in the Radix select whose trigger is `selector`. */
async function pick(page, selector, label) {
    await page.click(selector);
    await page.getByRole("option", { name: label, exact: true }).click();
    await L.waitUntil(async () => (await page.locator(selector).innerText()).trim() === label, 3000, `${selector} to show ${label}`);
}

test("editor: deepgram transcriber, 11labs voice with fallback voices -> saved in Vapi's shape", async (t) => {
    const { jwt, page } = await ownOwner(t, "speech", "Sam Speech");
    // Local speech with fields the cloud providers do not have (model en-us) or only in another
    // range (speed 1.5 > 11labs' 1.2): a provider switch must drop them.
    const a = await L.api("POST", "/assistant", { name: "Speech", model: { provider: "local" },
        transcriber: { provider: "local", language: "en", model: "en-us" }, voice: { provider: "local", voiceId: "kal16", speed: 1.5 } },
        { token: jwt });
    assert.equal(a.status, 201, a.text);
    const patches = [];
    page.on("request", (r) => r.method() === "PATCH" && patches.push(r.postData()));
    await page.goto(`${BASE}/assistants/edit/?id=${a.json.id}`);
    await page.locator("#transcriberProvider").waitFor({ timeout: 15000 });

    // The pickers offer what the server runs first; the rest is marked.
    await page.click("#transcriberProvider");
    await page.getByRole("option").first().waitFor({ timeout: 5000 });
    const offered = (await page.getByRole("option").allInnerTexts()).map((x) => x.trim());
    await page.keyboard.press("Escape");
    assert.deepEqual(offered.slice(0, 5), ["local", "deepgram", "assembly-ai", "openai", "custom-transcriber"]);
    assert.ok(offered.slice(5).every((x) => x.endsWith("(not on this server)")), `the others are marked: ${offered}`);

    await pick(page, "#transcriberProvider", "deepgram");
    assert.equal(await page.inputValue("#transcriber-language"), "en", "a language Deepgram has too is kept");
    assert.equal(await page.inputValue("#transcriber-model"), "", "the local model is dropped");
    await page.fill("#transcriber-model", "nova-3");
    await page.fill("#transcriber-endpointing", "300");
    await page.click("#transcriber-smartFormat");
    await page.fill("#transcriber-keyterm", "Voxa");
    await page.press("#transcriber-keyterm", "Enter");

    await pick(page, "#voiceProvider", "11labs");
    assert.equal(await page.inputValue("#voice-speed"), "", "speed 1.5 is outside 11labs' range: dropped");
    await page.fill("#voice-model", "eleven_flash_v2_5");
    await page.fill("#voice-stability", "0.5");
    await page.fill("#voice-similarityBoost", "0.75");
    await page.fill("#voice-speed", "1.1");
    await page.click("#voice-useSpeakerBoost");
    // Three fallbacks (each starts as the local voice), then cartesia and custom-voice, drop the
    // first, move custom-voice up.
    for (let i = 0; i < 3; i++) await page.click(tid("add-voice-fallback"));
    await pick(page, "#voice-fallback-1-provider", "cartesia");
    await page.fill("#voice-fallback-1-voiceId", "a0e99841-438c-4a64-b679-ae501e7d6091");
    await pick(page, "#voice-fallback-2-provider", "custom-voice");
    await page.fill("#voice-fallback-2-server-url", "https://tts.example.com/vapi");
    await page.click(tid("voice-fallback-0-remove"));
    await page.click(tid("voice-fallback-1-up"));

    // Client-side validation first: no voice id (11labs requires one), a speed out of range.
    await page.fill("#voice-speed", "3");
    await page.click(tid("save"));
    await page.locator('#voice-voiceId[aria-invalid="true"]').waitFor({ timeout: 5000 });
    assert.match(await page.locator("#voice-voiceId-error").innerText(), /Voice ID is required/);
    assert.match(await page.locator("#voice-speed-error").innerText(), /not be greater than 1.2/);
    assert.equal(patches.length, 0, "nothing was sent");
    await page.fill("#voice-voiceId", "21m00Tcm4TlvDq8ikWAM");
    await page.fill("#voice-speed", "1.1");
    await page.click(tid("save"));
    await L.waitUntil(async () => (await page.locator(tid("toast")).allInnerTexts()).some((x) => /^Saved\b/.test(x.trim())),
                      10000, 'a "Saved" toast').catch(async (e) => {
        throw new Error(`${e.message}; PATCH bodies ${JSON.stringify(patches)}, page problems: ${JSON.stringify(await pageProblems(page))}`);
    });
    await shot(page, "editor-speech-providers");

    const saved = await L.api("GET", `/assistant/${a.json.id}`, undefined, { token: jwt });
    assert.equal(saved.status, 200, saved.text);
    assert.deepEqual(saved.json.transcriber,
        { provider: "deepgram", language: "en", model: "nova-3", endpointing: 300, smartFormat: true, keyterm: ["Voxa"] });
    assert.deepEqual(saved.json.voice, {
        provider: "11labs", voiceId: "21m00Tcm4TlvDq8ikWAM", model: "eleven_flash_v2_5", stability: 0.5, similarityBoost: 0.75,
        speed: 1.1, useSpeakerBoost: true,
        fallbackPlan: { voices: [{ provider: "custom-voice", server: { url: "https://tts.example.com/vapi" } },
                                 { provider: "cartesia", voiceId: "a0e99841-438c-4a64-b679-ae501e7d6091" }] },
    });

    // Reloaded, the form shows what was saved.
    await page.reload();
    await page.locator("#voice-fallback-0-server-url").waitFor({ timeout: 15000 });
    assert.equal(await page.inputValue("#voice-fallback-0-server-url"), "https://tts.example.com/vapi");
    assert.equal(await page.inputValue("#voice-fallback-1-voiceId"), "a0e99841-438c-4a64-b679-ae501e7d6091");
    assert.equal(await page.inputValue("#transcriber-endpointing"), "300");
    assert.equal(await page.locator("#transcriber-smartFormat").getAttribute("aria-checked"), "true");
});

test("settings: a deepgram credential with apiUrl; the key is never shown back", async (t) => {
    const { jwt, page } = await ownOwner(t, "cred", "Cora Cred");
    const KEY_VALUE = `dg-secret-${run}-0123456789`;
    const API_URL = "https://deepgram.internal.example:8443";
    await page.goto(`${BASE}/settings/`);
    await page.locator(tid("add-credential")).click({ timeout: 15000 });
    await page.locator("#credProvider").waitFor({ timeout: 5000 });
    // 11labs: only Vapi's two environments.
    await page.selectOption("#credProvider", "11labs");
    const envs = await page.locator("#credApiUrl option").evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(envs, ["", "https://api.elevenlabs.io", "https://api.eu.residency.elevenlabs.io"]);

    await page.selectOption("#credProvider", "deepgram");
    await page.fill("#credApiKey", KEY_VALUE);
    await page.fill("#credApiUrl", "not a url");
    await page.fill("#credName", "On-prem Deepgram");
    await page.click(tid("credential-submit"));
    await page.locator('#credApiUrl[aria-invalid="true"]').waitFor({ timeout: 5000 });
    await page.fill("#credApiUrl", API_URL);
    await page.click(tid("credential-submit"));
    const row = page.locator(tid("credential-row"));
    await row.first().waitFor({ timeout: 10000 });
    assert.match(await row.first().innerText(), /deepgram[\s\S]*On-prem Deepgram[\s\S]*deepgram\.internal\.example:8443/);
    assert.ok(!(await page.content()).includes(KEY_VALUE), "the key is not on the page after adding it");
    await shot(page, "settings-credentials");

    const list = await L.api("GET", "/credential", undefined, { token: jwt });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.length, 1);
    assert.equal(list.json[0].provider, "deepgram");
    assert.equal(list.json[0].apiUrl, API_URL);
    assert.equal(list.json[0].name, "On-prem Deepgram");
    assert.ok(!("apiKey" in list.json[0]) && !list.text.includes(KEY_VALUE), `GET /credential never echoes the key: ${list.text}`);

    await page.reload();
    await row.first().waitFor({ timeout: 10000 });
    assert.match(await row.first().innerText(), /deepgram\.internal\.example:8443/);
    assert.ok(!(await page.content()).includes(KEY_VALUE), "the key is not on the page after a reload");
});

test("#15 bug 3: the tool dialog sends what its JSON says, refuses a type it contradicts and a duplicate name", async (t) => {
    const { page } = await ownOwner(t, "tools", "Tom Tools");
    const tools = async () => (await pageFetch(page, "GET", "/tool")).json;
    await page.goto(BASE + "/tools/");
    const body = page.locator("#resourceJson");
    const alertText = () => page.locator('[role="dialog"] [data-testid="error"]').innerText();

    // A type in the JSON that the Type field does not say: refused, nothing created (it was
    // created as a function tool before).
    await page.click(tid("new-tool"));
    await page.click(tid("view-json"));  // a function tool opens on its form
    await body.fill(JSON.stringify({ type: "bogusType", function: { name: "bogus" } }));
    await page.click(tid("resource-create-submit"));
    await L.waitUntil(async () => /bogusType/.test(await alertText().catch(() => "")), 5000, "an error naming the JSON's type");
    assert.match(await alertText(), /Type is "function"/);
    assert.equal((await tools()).length, 0, "no tool was created");

    // A name typed in the JSON is the name (the Name field follows it; it used to win).
    const fn = { type: "function", function: { name: "from_json", description: "d", parameters: { type: "object", properties: {} } },
                 server: { url: "https://example.com/t" } };
    await body.fill(JSON.stringify(fn));
    assert.equal(await page.inputValue("#resourceName"), "from_json", "the Name field shows the JSON's name");
    await page.click(tid("resource-create-submit"));
    await L.waitUntil(async () => (await tools()).length === 1, 5000, "the tool to be created");
    assert.equal((await tools())[0].function.name, "from_json");
    assert.equal((await tools())[0].type, "function");

    // The same name again: refused with the other tool's id, nothing created.
    await page.click(tid("new-tool"));
    await page.click(tid("view-json"));
    await body.fill(JSON.stringify(fn));
    await page.click(tid("resource-create-submit"));
    await L.waitUntil(async () => /already exists/.test(await alertText().catch(() => "")), 5000, "a duplicate-name error");
    assert.match(await alertText(), /from_json/);
    assert.equal((await tools()).length, 1, "no second tool named from_json");
});

test("#15 bug 2: deleting an assistant names the number and squad that use it; they then show 'deleted assistant'", async (t) => {
    const { page } = await ownOwner(t, "users", "Uma Users");
    await page.goto(BASE + "/assistants/");
    const made = async (path, body) => {
        const r = await pageFetch(page, "POST", path, body);
        assert.equal(r.status, 201, `POST ${path} -> ${r.status}: ${r.text}`);
        return r.json;
    };
    const a = await made("/assistant", { name: "Doomed", model: { provider: "local" } });
    await made("/phone-number", { provider: "vapi", name: "Front desk", sipUri: `sip:front-${run}@voxa.local`, assistantId: a.id });
    await made("/squad", { name: "Pair", members: [{ assistantId: a.id }] });
    const call = await made("/call/web", { assistantId: a.id });

    await page.goto(`${BASE}/assistants/edit/?id=${a.id}`);
    await page.click(tid("delete"));
    const users = page.locator(tid("assistant-users"));
    await users.waitFor({ timeout: 10000 });
    const text = await users.innerText();
    assert.match(text, /phone number Front desk/, text);
    assert.match(text, /squad Pair/, text);
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete", exact: true }).click();
    await page.waitForURL(/\/assistants\/$/, { timeout: 10000 });
    assert.equal((await pageFetch(page, "GET", `/assistant/${a.id}`)).status, 404);

    // The number, the squad and the call say so instead of showing a dead id or link.
    await page.goto(BASE + "/phone-numbers/");
    await L.waitUntil(async () => /deleted assistant/.test(await page.locator(tid("phone-number-row")).first().innerText()), 10000,
                      "the number's row to say 'deleted assistant'");
    assert.doesNotMatch(await page.locator(tid("phone-number-row")).first().innerText(), new RegExp(`→ ${a.id}`));
    await page.goto(BASE + "/squads/");
    await L.waitUntil(async () => /deleted assistant/.test(await page.locator(tid("squad-row")).first().innerText()), 10000,
                      "the squad's row to say 'deleted assistant'");
    await page.goto(`${BASE}/calls/detail/?id=${call.id}`);
    await page.locator(tid("assistant-deleted")).waitFor({ timeout: 10000 });
    assert.equal(await page.locator(`[data-testid="call-header"] a[href*="${a.id}"]`).count(), 0, "no link to the deleted assistant");
});

test("#15 bug 5: a failed call says why, in words, in the Talk panel and on the call page", async (t) => {
    // An assistant on OpenAI with a key but no way to reach OpenAI from here: the call starts
    // (a missing key is refused before it, with its own message) and the first model request
    // fails.
    const { page } = await ownOwner(t, "failed", "Fay Failed", { wav: mic.wav });
    await page.goto(BASE + "/assistants/");
    const cred = await pageFetch(page, "POST", "/credential", { provider: "openai", apiKey: "sk-not-a-real-key-0000" });
    assert.equal(cred.status, 201, `POST /credential -> ${cred.status}: ${cred.text}`);
    const a = (await pageFetch(page, "POST", "/assistant", { name: "Unreachable", firstMessage: "Hello, how can I help?",
        model: { provider: "openai", model: "gpt-4o-mini" }, transcriber: { provider: "local" },
        voice: { provider: "local", voiceId: "kal16" } })).json;
    assert.ok(a?.id, "assistant created");
    await page.goto(`${BASE}/assistants/edit/?id=${a.id}`);
    await page.click(tid("talk"));
    const why = page.locator(tid("call-ended-reason"));
    await why.waitFor({ timeout: 60000 });
    const text = await why.innerText();
    L.note(`talk panel: ${text.replace(/\n/g, " / ")}`);
    assert.match(text, /model provider \(openai\)/, text);
    assert.match(text, /Settings/, text);
    assert.doesNotMatch(text, /^ended$/);
    // The call page: the reason in words with what to do, the raw value kept (tooltip and text).
    const href = await page.locator(tid("call-detail-link")).getAttribute("href");
    await page.goto(BASE + href);
    const reason = page.locator(`${tid("call-header")} ${tid("ended-reason")}`);
    await reason.waitFor({ timeout: 10000 });
    const raw = await reason.getAttribute("title");
    assert.match(raw, /^pipeline-error-openai-/, `the raw endedReason as the tooltip: ${raw}`);
    assert.match(await reason.innerText(), /model provider \(openai\)/);
    assert.match(await page.locator(tid("ended-reason-action")).innerText(), /Settings/);
    assert.ok((await reason.innerText()).includes(raw), "the raw value is shown whole too");
    // The transcript in the order it was said (the greeting at 0:00 first, though the record
    // holds a caller line that came during it before it).
    const clocks = await page.locator(tid("transcript-message")).evaluateAll((els) =>
        els.map((e) => /(\d+):(\d+(?:\.\d+)?)/.exec(e.textContent || "")).filter(Boolean).map((m) => Number(m[1]) * 60 + Number(m[2])));
    L.note(`transcript clocks: ${JSON.stringify(clocks)}`);
    assert.ok(clocks.length >= 1, "the greeting is in the transcript");
    for (let i = 1; i < clocks.length; i++) assert.ok(clocks[i] >= clocks[i - 1], `in spoken order: ${JSON.stringify(clocks)}`);
});

test("#15 talk to a squad: a browser call from the squads page starts with the first member", async (t) => {
    const { page } = await ownOwner(t, "squad", "Sid Squad", { wav: mic.wav });
    await page.goto(BASE + "/squads/");
    const local = { transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "kal16" } };
    const made = async (path, body) => {
        const r = await pageFetch(page, "POST", path, body);
        assert.equal(r.status, 201, `POST ${path} -> ${r.status}: ${r.text}`);
        return r.json;
    };
    const first = await made("/assistant", { name: "Greeter", firstMessage: "Hello from the squad's greeter.",
                                             model: { provider: "local", fallback: "Noted." }, ...local });
    const second = await made("/assistant", { name: "Booker", firstMessage: "Booking desk here.", model: { provider: "local" }, ...local });
    const squad = await made("/squad", { name: "Pair", members: [{ assistantId: first.id }, { assistantId: second.id }] });
    await page.reload();
    const row = page.locator(`${tid("squad-row")}[data-id="${squad.id}"]`);
    await row.waitFor({ timeout: 10000 });
    await row.locator(tid("talk")).click();
    const status = page.locator(tid("call-status"));
    await L.waitUntil(async () => (await status.count()) && (await status.innerText()).trim() === "live", 15000, "the squad call live");
    await L.waitUntil(async () => (await page.locator('[data-testid="transcript-line"][data-role="assistant"]').allInnerTexts())
        .some((x) => /greeter/i.test(x)), 20000, "the first member's greeting");
    await page.click(tid("hang-up"));
    const link = page.locator(tid("call-detail-link"));
    await link.waitFor({ timeout: 10000 });
    const id = new URL(BASE + (await link.getAttribute("href"))).searchParams.get("id");
    const rec = await pageFetch(page, "GET", `/call/${id}`);
    assert.equal(rec.status, 200, rec.text);
    assert.equal(rec.json.squadId, squad.id, "the call is the squad's");
});

test("#15 outbound call from the UI: a number's Call button sends Vapi's POST /call with phoneNumberId and customer.number", async (t) => {
    const { page } = await ownOwner(t, "outbound", "Otto Outbound");
    await page.goto(BASE + "/phone-numbers/");
    const made = async (path, body) => {
        const r = await pageFetch(page, "POST", path, body);
        assert.equal(r.status, 201, `POST ${path} -> ${r.status}: ${r.text}`);
        return r.json;
    };
    const a = await made("/assistant", { name: "Caller", model: { provider: "local" } });
    const b2 = await made("/assistant", { name: "Other caller", model: { provider: "local" } });
    const num = await made("/phone-number", { provider: "twilio", name: "Main line", number: "+14155550100",
                                              twilioAccountSid: "AC" + "0".repeat(32), twilioAuthToken: "token-0000", assistantId: a.id });
    // The carrier is not reachable from here: the server's answer is stood in for, the request checked.
    const sent = [];
    await page.route("**/call", async (route) => {
        if (route.request().method() !== "POST") return route.continue();
        sent.push(route.request().postDataJSON());
        await route.fulfill({ status: 201, contentType: "application/json", body: JSON.stringify({ id: "c0ffee00-0000-4000-8000-000000000001", status: "queued" }) });
    });
    await page.reload();
    const row = page.locator(`${tid("phone-number-row")}[data-id="${num.id}"]`);
    await row.waitFor({ timeout: 10000 });
    await row.locator(tid("outbound-call")).click();
    await page.fill("#customerNumber", "415 555");
    await page.click(tid("outbound-submit"));
    await page.locator("#customerNumber-error").waitFor({ timeout: 3000 });
    assert.equal(sent.length, 0, "an invalid number is not sent");
    assert.equal(await page.inputValue("#outboundAssistant"), a.id, "the number's own assistant by default");
    await page.fill("#customerNumber", "+1 (415) 555-0123");
    await page.selectOption("#outboundAssistant", b2.id);
    await page.click(tid("outbound-submit"));
    await page.locator(tid("outbound-placed")).waitFor({ timeout: 5000 });
    assert.deepEqual(sent, [{ phoneNumberId: num.id, customer: { number: "+14155550123" }, assistantId: b2.id }]);
    assert.equal(await page.locator(`${tid("outbound-placed")} a`).getAttribute("href"), "/calls/detail/?id=c0ffee00-0000-4000-8000-000000000001");
});

test("#15 logs page: the org's webhook deliveries with event, call and failed-only filters", async (t) => {
    // The customer's server: refuses the first status-update (500; the outbox retries it, and
    // holds the call's later events until it is through), takes the rest.
    const got = [];
    const hook = createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
            const type = (() => { try { return JSON.parse(body).message?.type; } catch { return "?"; } })();
            got.push(type);
            const refuse = type === "status-update" && got.filter((x) => x === "status-update").length === 1;
            res.writeHead(refuse ? 500 : 200, { "Content-Type": "application/json" }).end("{}");
        });
    });
    await new Promise((r) => hook.listen(0, "127.0.0.1", r));
    t.after(() => hook.close());
    const { page } = await ownOwner(t, "logs", "Lou Logs", { wav: mic.wav });
    await page.goto(BASE + "/webhook-logs/");
    const a = (await pageFetch(page, "POST", "/assistant", { name: "Hooked", firstMessage: "Hello.", model: { provider: "local" },
        transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "kal16" },
        server: { url: `http://127.0.0.1:${hook.address().port}/hook` },
        serverMessages: ["status-update", "end-of-call-report"] })).json;
    await page.goto(`${BASE}/assistants/edit/?id=${a.id}`);
    await page.click(tid("talk"));
    const status = page.locator(tid("call-status"));
    await L.waitUntil(async () => (await status.count()) && (await status.innerText()).trim() === "live", 15000, "live");
    await L.sleep(1500);
    await page.click(tid("hang-up"));
    await L.waitUntil(async () => {
        const r = await pageFetch(page, "GET", "/logs?type=Webhook&limit=100");
        const ls = r.json?.results ?? [];
        return ls.some((l) => l.responseHttpCode === 500) && ls.some((l) => l.webhookType === "end-of-call-report" && l.responseHttpCode === 200);
    }, 20000, `a refused status-update and a delivered end-of-call-report in the logs (server got ${JSON.stringify(got)})`);

    await page.click(tid("nav-logs"));
    await page.waitForURL((u) => u.pathname === "/webhook-logs/", { timeout: 10000 });
    const list = page.locator(tid("webhook-log"));
    await list.first().waitFor({ timeout: 10000 });
    const summaries = async () => (await list.allInnerTexts()).map((x) => x.split("\n").slice(0, 2).join(" "));
    assert.ok((await summaries()).some((s) => /500/.test(s) && /status-update/.test(s)), JSON.stringify(await summaries()));
    await page.check("#logFailed");
    await L.waitUntil(async () => (await summaries()).every((s) => /500|no response/.test(s)), 5000, "only failures");
    await page.uncheck("#logFailed");
    await page.selectOption("#logType", "end-of-call-report");
    await L.waitUntil(async () => {
        const s = await summaries();
        return s.length > 0 && s.every((x) => /end-of-call-report/.test(x) && /200/.test(x));
    }, 10000, "only end-of-call-report deliveries");
    await list.first().locator("summary").click();
    assert.match(await list.first().locator(tid("webhook-log-call")).getAttribute("href"), /^\/calls\/detail\/\?id=/);
});

test("#15 forms: a function tool built with the form only (no JSON typed), parameters included", async (t) => {
    const { page } = await ownOwner(t, "fnform", "Fay Form");
    await page.goto(BASE + "/tools/");
    await page.click(tid("new-tool"));
    await page.locator(tid("function-tool-form")).waitFor({ timeout: 5000 });
    await page.fill("#fnName", "check_order");
    await page.fill("#fnDescription", "Check an order's status");
    await page.fill("#fnServerUrl", "https://orders.example.com/voxa");
    // The example's first parameter is "order"; make it the order number, and add a second.
    await page.fill("#fnParam-0-name", "order_number");
    await page.fill("#fnParam-0-description", "The order number");
    await page.click(tid("fnParam-add-param"));
    await page.fill("#fnParam-1-name", "express");
    await page.selectOption("#fnParam-1-type", "boolean");
    await page.fill("#fnParam-1-description", "Express shipping");
    // The JSON tab shows what the form wrote; back on the form, nothing is lost.
    await page.click(tid("view-json"));
    const shown = JSON.parse(await page.inputValue("#resourceJson"));
    assert.equal(shown.function.name, "check_order");
    await page.click(tid("view-form"));
    assert.equal(await page.inputValue("#fnParam-1-name"), "express");
    await page.click(tid("resource-create-submit"));
    let tool;
    await L.waitUntil(async () => (tool = (await pageFetch(page, "GET", "/tool")).json?.[0]), 5000, "the tool to be created");
    assert.equal(tool.type, "function");
    assert.equal(tool.function.name, "check_order");
    assert.equal(tool.function.description, "Check an order's status");
    assert.deepEqual(tool.function.parameters, {
        type: "object",
        properties: { order_number: { type: "string", description: "The order number" }, express: { type: "boolean", description: "Express shipping" } },
        required: ["order_number"],
    });
    assert.equal(tool.server.url, "https://orders.example.com/voxa");
});

test("#15 forms: an apiRequest tool built with the form only", async (t) => {
    const { page } = await ownOwner(t, "apiform", "Api Form");
    await page.goto(BASE + "/tools/");
    await page.click(tid("new-tool"));
    await page.selectOption("#resourceKind", "apiRequest");
    await page.locator(tid("api-request-tool-form")).waitFor({ timeout: 5000 });
    await page.fill("#apiName", "create_order");
    await page.selectOption("#apiMethod", "POST");
    await page.fill("#apiUrl", "https://shop.example.com/orders");
    await page.fill("#apiDescription", "Create an order");
    await page.fill("#apiParam-0-name", "sku");  // the example's first body parameter
    await page.click(tid("apiParam-add-param"));
    await page.fill("#apiParam-1-name", "quantity");
    await page.selectOption("#apiParam-1-type", "integer");
    await page.check("#apiParam-1-required");
    await page.click(tid("resource-create-submit"));
    let tool;
    await L.waitUntil(async () => (tool = (await pageFetch(page, "GET", "/tool")).json?.[0]), 5000, "the tool to be created");
    assert.equal(tool.type, "apiRequest");
    assert.equal(tool.name, "create_order");
    assert.equal(tool.method, "POST");
    assert.equal(tool.url, "https://shop.example.com/orders");
    assert.equal(tool.description, "Create an order");
    assert.deepEqual(Object.keys(tool.body.properties), ["sku", "quantity"]);
    assert.equal(tool.body.properties.quantity.type, "integer");
    assert.ok(tool.body.required.includes("quantity"));
});

test("#15 forms: a squad of two built and reordered with the form only", async (t) => {
    const { page } = await ownOwner(t, "sqform", "Sue Squad");
    await page.goto(BASE + "/squads/");
    const made = async (body) => (await pageFetch(page, "POST", "/assistant", body)).json;
    const greeter = await made({ name: "Greeter", model: { provider: "local" } });
    const booker = await made({ name: "Booker", model: { provider: "local" } });
    await page.reload();
    await page.click(tid("new-squad"));
    await page.locator(tid("squad-form")).waitFor({ timeout: 5000 });
    await page.fill("#squadName", "Desk");
    // The example holds two members; set them, then swap their order.
    await page.selectOption("#squadMember-0", booker.id);
    await page.selectOption("#squadMember-1", greeter.id);
    await page.locator(tid("squad-member")).nth(1).locator(tid("member-up")).click();
    assert.equal(await page.inputValue("#squadMember-0"), greeter.id, "moved up");
    await page.click(tid("resource-create-submit"));
    let squad;
    await L.waitUntil(async () => (squad = (await pageFetch(page, "GET", "/squad")).json?.[0]), 5000, "the squad to be created");
    assert.equal(squad.name, "Desk");
    assert.deepEqual(squad.members.map((m) => m.assistantId), [greeter.id, booker.id]);
    // What the form does not edit moved with its member: Booker kept the example's transfer destination.
    assert.ok(Array.isArray(squad.members[1].assistantDestinations), JSON.stringify(squad.members));
});

test("#15 forms: a phone number (SIP, then Twilio) built with the form only", async (t) => {
    const { page } = await ownOwner(t, "pnform", "Pat Phone");
    await page.goto(BASE + "/phone-numbers/");
    const a = (await pageFetch(page, "POST", "/assistant", { name: "Answerer", model: { provider: "local" } })).json;
    await page.reload();
    await page.click(tid("new-phone-number"));
    await page.locator(tid("phone-number-form")).waitFor({ timeout: 5000 });
    await page.fill("#pnName", "Reception");
    await page.fill("#pnSipUri", `sip:reception-${run}@voxa.local`);
    await page.selectOption("#pnAssistant", a.id);
    await page.click(tid("resource-create-submit"));
    let list;
    await L.waitUntil(async () => (list = (await pageFetch(page, "GET", "/phone-number")).json)?.length === 1, 5000, "the SIP number");
    assert.deepEqual([list[0].provider, list[0].name, list[0].sipUri, list[0].assistantId], ["vapi", "Reception", `sip:reception-${run}@voxa.local`, a.id]);

    await page.click(tid("new-phone-number"));
    await page.selectOption("#resourceKind", "twilio");
    await page.locator("#pnSid").waitFor({ timeout: 5000 });
    await page.fill("#pnName", "Main line");
    await page.fill("#pnNumber", "+14155550199");
    await page.fill("#pnSid", "AC" + "1".repeat(32));
    await page.fill("#pnToken", "twilio-token-secret-1234");
    await page.selectOption("#pnAssistant", a.id);
    await page.click(tid("resource-create-submit"));
    await L.waitUntil(async () => (list = (await pageFetch(page, "GET", "/phone-number")).json)?.length === 2, 5000, "the Twilio number");
    const tw = list.find((n) => n.provider === "twilio");
    assert.equal(tw.number, "+14155550199");
    assert.equal(tw.assistantId, a.id);
    assert.equal(tw.twilioAccountSid, "AC" + "1".repeat(32));
});
