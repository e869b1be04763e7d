// Collects what Voxa sends during the voice suite — call records (GET /call), server
// messages (the webhook receiver) and client messages (the call's websocket) — for
// schema-check.mjs, which validates them all against Vapi's schemas after the suite.
// Not a test file. run-voice.sh sets VOXA_SCHEMA_LOG_DIR; each test process appends JSON
// lines to a file of its own there. Without the variable nothing is collected.
import { appendFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.VOXA_SCHEMA_LOG_DIR;
const file = dir ? join(dir, `${process.pid}.jsonl`) : null;

/** kind: "call" | "server" | "client"; body: the parsed JSON; where: the test file or path. */
export function collect(kind, body, where = "") {
    if (!file || body === undefined || body === null) return;
    appendFileSync(file, JSON.stringify({ kind, where, body }) + "\n");
}
