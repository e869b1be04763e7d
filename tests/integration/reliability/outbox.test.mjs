// Finding 1 (#20): one failed database write wedged the webhook outbox. A batch was stored as
// separate INSERTs and queued again whole on any failure, and the PostgreSQL connection sent
// an INSERT again after losing the connection although it may have committed: the rows
// already stored then clashed on their primary key on every retry, and nothing more was
// ever stored or sent.
//
// Here a server on PostgreSQL delivers the events of many short calls to a receiver while
// the outbox's own database backends are terminated (pg_terminate_backend) at the two
// moments that matter:
//  - after its batch committed, before the answer reached Voxa: the commit is held by a
//    synchronous-replication wait for a standby that does not exist (only for transactions
//    that insert outbox rows, which a trigger marks), and the backend is terminated there.
//    PostgreSQL: "The transaction has already committed locally". Voxa sees a lost
//    connection, so the outcome is unknown.
//  - in the middle of the batch's INSERT (the trigger makes each row take 2 ms so the
//    terminations land inside the statement).
// Then every event must be delivered exactly once (by X-Voxa-Event-Id), every stored row
// delivered, and each call's end-of-call-report and final status-update received once.
// The test also asserts that the injection landed: how many backends were terminated at
// each moment (counted by the kill loop in the database) and that Voxa logged refused writes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCall, join, localAssistant, postgres, receiver, sleep, voxa, waitUntil } from "./lib.mjs";

const SETUP = [
    // Outbox inserts ask for a synchronous commit ('commit' mode) or crawl ('insert' mode).
    `CREATE TABLE rel_fault (mode text NOT NULL)`,
    `INSERT INTO rel_fault VALUES ('off')`,
    `CREATE FUNCTION rel_fault_fn() RETURNS trigger LANGUAGE plpgsql AS $$
     DECLARE m text;
     BEGIN
       SELECT mode INTO m FROM rel_fault;
       IF m = 'commit' THEN PERFORM set_config('synchronous_commit', 'on', true);
       ELSIF m = 'insert' THEN PERFORM pg_sleep(0.002);
       END IF;
       RETURN NEW;
     END $$`,
    `CREATE TRIGGER rel_fault BEFORE INSERT ON webhook_outbox FOR EACH ROW EXECUTE FUNCTION rel_fault_fn()`,
    // Terminates Voxa's backends for `seconds`: those waiting for the (missing) standby after
    // their commit, and with `inserts`, those inside an outbox INSERT. Returns the counts.
    `CREATE FUNCTION rel_kill(seconds float, inserts boolean) RETURNS text LANGUAGE plpgsql AS $$
     DECLARE
       committed int[] := '{}'; inserting int[] := '{}'; k int[];
       deadline timestamptz := clock_timestamp() + seconds * interval '1 second';
     BEGIN
       WHILE clock_timestamp() < deadline LOOP
         PERFORM pg_stat_clear_snapshot();  -- pg_stat_activity is otherwise read once per transaction
         SELECT coalesce(array_agg(pid) FILTER (WHERE pg_terminate_backend(pid)), '{}') INTO k
           FROM pg_stat_activity
          WHERE application_name = 'voxa' AND wait_event = 'SyncRep'
            AND pid <> ALL (committed || inserting);
         committed := committed || k;
         IF inserts THEN
           SELECT coalesce(array_agg(pid) FILTER (WHERE pg_terminate_backend(pid)), '{}') INTO k
             FROM pg_stat_activity
            WHERE application_name = 'voxa' AND state IN ('active', 'idle in transaction')
              AND query LIKE 'INSERT INTO webhook_outbox%' AND wait_event IS DISTINCT FROM 'SyncRep'
              AND pid <> ALL (committed || inserting);
           inserting := inserting || k;
         END IF;
         PERFORM pg_sleep(0.003);
       END LOOP;
       RETURN cardinality(committed) || ' ' || cardinality(inserting);  -- backends, each once
     END $$`,
];

/** Short calls, one after another, `parallel` at a time, until `untilMs`. */
async function callsUntil(v, assistant, untilMs, parallel, ids) {
    const worker = async () => {
        while (Date.now() < untilMs) {
            const call = await createCall(v, assistant);
            ids.push(call.id);
            const peer = await join(call);
            await sleep(150);
            peer.close();
            await peer.closedPromise;
        }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
}

test("PostgreSQL: outbox backends terminated after commit and mid-INSERT; every event delivered exactly once", async (t) => {
    const pg = await postgres(t);
    // Voxa's sessions commit locally; only the trigger's transactions wait for a standby.
    await pg.psql(`ALTER DATABASE voxa_test SET synchronous_commit = 'local'`);
    const rx = await receiver(t);
    const v = await voxa(t, { env: { DATABASE_URL: pg.url } });
    for (const sql of SETUP) await pg.psql(sql);
    await pg.psql(`ALTER SYSTEM SET synchronous_standby_names = 'rel_ghost_standby'`);
    await pg.psql(`SELECT pg_reload_conf()`);
    let released = false;
    const release = async () => {
        if (released) return;
        released = true;
        await pg.psql(`ALTER SYSTEM RESET synchronous_standby_names`);
        await pg.psql(`SELECT pg_reload_conf()`);
    };
    t.after(release);

    assert.equal((await v.api("PATCH", `/org/${v.orgId}`, { concurrencyLimit: 100 })).status, 200);
    const assistant = localAssistant({ server: { url: rx.url + "/hook" } });
    const calls = [];
    // Events flow before, during and after the injections.
    await callsUntil(v, assistant, Date.now() + 1000, 4, calls);

    await pg.psql(`UPDATE rel_fault SET mode = 'commit'`);
    const commitPhase = pg.psql(`SELECT rel_kill(4, false)`);
    await callsUntil(v, assistant, Date.now() + 3500, 4, calls);
    const [committedKills] = (await commitPhase).split(" ").map(Number);

    await pg.psql(`UPDATE rel_fault SET mode = 'insert'`);
    const insertPhase = pg.psql(`SELECT rel_kill(4, true)`);
    await callsUntil(v, assistant, Date.now() + 3500, 4, calls);
    const [lateCommitKills, insertKills] = (await insertPhase).split(" ").map(Number);

    await pg.psql(`UPDATE rel_fault SET mode = 'off'`);
    await release();
    await callsUntil(v, assistant, Date.now() + 1000, 4, calls);
    t.diagnostic(`${calls.length} calls; backends terminated after commit: ${committedKills + lateCommitKills}, inside an outbox INSERT: ${insertKills}`);

    // The injection landed: terminations at both moments, and Voxa saw its writes refused.
    assert.ok(committedKills >= 1, "no outbox transaction was terminated after its commit");
    assert.ok(insertKills >= 1, "no outbox INSERT was terminated midway");

    const byId = () => {
        const m = new Map();
        for (const r of rx.requests) {
            const id = r.headers["x-voxa-event-id"];
            m.set(id, [...(m.get(id) || []), r]);
        }
        return m;
    };
    const reportsFor = (type, pred = () => true) => {
        const per = new Map();
        for (const r of rx.requests) {
            const msg = JSON.parse(r.body).message;
            if (msg.type === type && pred(msg)) per.set(msg.call.id, (per.get(msg.call.id) || 0) + 1);
        }
        return per;
    };
    // Every call's end-of-call-report arrives (the wedged outbox never sent them).
    await waitUntil(() => reportsFor("end-of-call-report").size === calls.length, 40000,
                    `end-of-call-reports of all ${calls.length} calls ` +
                    `(have ${reportsFor("end-of-call-report").size}; ${v.output().split("\n").filter((l) => /not stored|cannot store/.test(l)).slice(-2).join(" | ")})`);
    await waitUntil(async () => Number(await pg.psql(`SELECT count(*) FROM webhook_outbox WHERE status <> 'delivered'`)) === 0,
                    20000, "every stored event delivered");
    await sleep(500);  // anything sent twice would arrive now

    const stored = (await pg.psql(`SELECT id FROM webhook_outbox`)).split("\n").filter(Boolean);
    const received = byId();
    const twice = [...received].filter(([, rs]) => rs.length > 1).map(([id]) => id);
    assert.deepEqual(twice, [], "events delivered more than once");
    assert.deepEqual([...received.keys()].sort(), stored.sort(), "received exactly the stored events");
    for (const [type, pred] of [["end-of-call-report", undefined], ["status-update", (m) => m.status === "ended"]]) {
        const per = reportsFor(type, pred);
        for (const id of calls) assert.equal(per.get(id), 1, `${type} of call ${id}`);
    }
    assert.match(v.output(), /webhook events not stored; retrying/, "Voxa logged the refused writes");
    const metrics = (await v.api("GET", "/metrics")).text;
    assert.match(metrics, /^voxa_webhook_store_errors_total [1-9]/m, "the refused writes are counted");
    assert.match(metrics, /^voxa_webhook_events_queued 0$/m);
    assert.match(metrics, /^voxa_webhook_events_dropped_total 0$/m);
    t.diagnostic(`${stored.length} events stored and delivered once each; refused writes logged: ` +
                 `${(v.output().match(/webhook events not stored; retrying/g) || []).length}`);
});
