// POST /analytics (Vapi's AnalyticsQueryDTO) over real, ended calls: counts, minutes and cost
// grouped by assistant and ended reason, day buckets, and Vapi-shaped validation errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as L from "./lib.mjs";

test("POST /analytics counts an assistant's ended calls, their minutes and cost, by day", async () => {
    const a = await L.api("POST", "/assistant", L.localAssistant({ name: "analytics", firstMessage: "Hi." }));
    assert.equal(a.status, 201);
    const ended = [];
    for (let i = 0; i < 2; i++) {
        const { call, client } = await L.startCall({ assistant: undefined, assistantId: a.json.id });
        await client.waitForMessage((m) => m.type === "status-update" && m.status === "in-progress", 8000);
        await L.sleep(700);
        client.endCall();
        ended.push(await L.waitForEnded(call.id));
        client.close();
    }
    const r = await L.api("POST", "/analytics", {
        queries: [{
            table: "call", name: "perAssistant",
            operations: [{ operation: "count", column: "id" }, { operation: "sum", column: "duration" },
                         { operation: "sum", column: "cost", alias: "spent" }],
            groupBy: ["assistantId", "endedReason"],
            timeRange: { start: new Date(Date.now() - 3600e3).toISOString(), step: "day", timezone: "UTC" },
        }],
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.length, 1);
    const q = r.json[0];
    assert.equal(q.name, "perAssistant");
    assert.equal(q.timeRange.step, "day");
    const rows = q.result.filter((x) => x.assistantId === a.json.id);
    assert.equal(rows.length, 1, JSON.stringify(q.result));
    const row = rows[0];
    assert.equal(row.endedReason, "customer-ended-call");
    assert.equal(row.countId, 2);
    const minutes = ended.reduce((s, c) => s + (Date.parse(c.endedAt) - Date.parse(c.startedAt)) / 60000, 0);
    assert.ok(Math.abs(row.sumDuration - minutes) < 1e-6, `sumDuration ${row.sumDuration} vs ${minutes}`);
    const cost = ended.reduce((s, c) => s + (c.cost || 0), 0);  // local engines: transport only
    assert.ok(Math.abs(row.spent - cost) < 1e-6, `spent ${row.spent} vs ${cost}`);
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    assert.equal(row.date, today.toISOString());
});

test("POST /analytics refuses bad queries with Vapi's error body", async () => {
    const cases = [
        [{ queries: [{ table: "call", name: "q", operations: [{ operation: "median", column: "cost" }] }] }, /operation must be one of/],
        [{ queries: [{ table: "call", name: "q", operations: [{ operation: "sum", column: "colour" }] }] }, /column must be one of/],
        [{ queries: [{ table: "call", operations: [] }] }, /name/],
        [{ queries: [{ table: "call", name: "q", operations: [], timeRange: { start: "yesterday" } }] }, /timeRange.start/],
        [{ queries: [{ table: "call", name: "q", operations: [], timeRange: { timezone: "Europe/Paris" } }] }, /only UTC/],
    ];
    for (const [body, re] of cases) {
        const r = await L.api("POST", "/analytics", body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.statusCode, 400);
        const msgs = Array.isArray(r.json.message) ? r.json.message : [r.json.message];
        assert.ok(msgs.some((m) => re.test(m)), `${JSON.stringify(body)} → ${r.text}`);
    }
});
