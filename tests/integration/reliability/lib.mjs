// Shared helpers for the reliability suite (tests/integration/reliability). Not a test file.
// The server, receiver and call helpers are the security suite's; this adds a throwaway
// PostgreSQL cluster:
//
//   const pg = await postgres(t);                    // {url, dir, psql(sql)}
//   const v = await voxa(t, { env: { DATABASE_URL: pg.url } });
//   await pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ...");
export * from "../security/lib.mjs";
export * from "../security/calls.mjs";

import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT, freePort } from "../security/lib.mjs";

const run = promisify(execFile);

/**
 * Starts scripts/pg-test-server.sh on a free port; stopped when the test ends.
 * psql(sql) runs one statement as the cluster owner and returns its unaligned output.
 */
export async function postgres(t) {
    const dir = await mkdtemp(join(tmpdir(), "voxa-rel-pg-"));
    await chmod(dir, 0o711);  // as root the cluster runs as "postgres", which must reach it
    const port = await freePort();
    const script = join(ROOT, "scripts/pg-test-server.sh");
    const { stdout } = await run("bash", [script, "start", join(dir, "pg"), String(port)]);
    const url = stdout.trim().split("\n").pop();
    if (!url.startsWith("postgres")) throw new Error(`pg-test-server.sh printed no URL: ${stdout}`);
    t.after(async () => {
        await run("bash", [script, "stop", join(dir, "pg")]).catch(() => {});
        await rm(dir, { recursive: true, force: true });
    });
    const psql = async (sql) => (await run("psql", [url, "-XAtq", "-c", sql])).stdout.trim();
    return { url, dir, port, psql };
}
