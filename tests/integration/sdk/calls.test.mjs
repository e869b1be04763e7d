// POST /call through the SDK: an assistant whose transcriber, voice or model provider this
// server does not have is refused at creation with a 400 naming it (not a call that ends at
// once), for inline assistants, saved ones and every squad member.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { vapiA, expect400, uniq } from "./lib.mjs";

const websocket = { provider: "vapi.websocket", audioFormat: { format: "pcm_s16le", container: "raw", sampleRate: 16000 } };
const local = () => ({ transcriber: { provider: "local" }, voice: { provider: "local", voiceId: "slt" }, model: { provider: "local", rules: [] } });

describe("POST /call with providers this server does not have", () => {
    test("inline assistant with a PlayHT voice -> 400 naming the provider and what is available", async () => {
        const err = await expect400(
            vapiA.calls.create({ assistant: { ...local(), voice: { provider: "playht", voiceId: "jennifer" } }, transport: websocket }),
            /^assistant\.voice\.provider "playht" is not available on this server \(voice providers: .*local.*\)$/,
            "playht voice");
        assert.equal(err.body.error, "Bad Request");
    });

    test("a saved assistant with a Gladia transcriber -> 400", async () => {
        const a = await vapiA.assistants.create({ name: uniq("gl"), ...local(), transcriber: { provider: "gladia" } });
        await expect400(vapiA.calls.create({ assistantId: a.id, transport: websocket }),
                        /assistant\.transcriber\.provider "gladia" is not available/, "gladia transcriber");
        await vapiA.assistants.delete({ id: a.id });
    });

    test("a squad whose second member uses Anthropic on Bedrock -> 400 naming the member", async () => {
        const squad = {
            members: [
                { assistant: { name: "first", ...local() } },
                { assistant: { name: "second", ...local(), model: { provider: "anthropic-bedrock", model: "claude-3-5-sonnet-20241022" } } },
            ],
        };
        await expect400(vapiA.calls.create({ squad, transport: websocket }),
                        /^squad\.members\[1\]\.assistant\.model\.provider "anthropic-bedrock" is not available on this server/, "squad");
    });

    test("assistantOverrides can make a call unavailable too; local providers are accepted", async () => {
        const a = await vapiA.assistants.create({ name: uniq("ok"), ...local() });
        await expect400(vapiA.calls.create({ assistantId: a.id, assistantOverrides: { voice: { provider: "cartesia", voiceId: "x" } }, transport: websocket }),
                        /voice\.provider "cartesia"/, "override");
        const call = await vapiA.calls.create({ assistantId: a.id, transport: websocket });
        assert.equal(call.status, "queued");
        await vapiA.calls.delete({ id: call.id }).catch(() => {});
        await vapiA.assistants.delete({ id: a.id });
    });
});
