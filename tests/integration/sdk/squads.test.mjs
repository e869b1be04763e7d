// Squads through the SDK: members by assistantId and inline assistant, overrides,
// destinations; PATCH; DELETE; idAny filter; validation.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import {
    vapiA, ORG_A, uniq, sleep, created, assertContains, assertPersisted, expectSdkError, expect400, quietly,
    minimalAssistant,
} from "./lib.mjs";

const squadsToDelete = [];
const assistantsToDelete = [];
after(async () => {
    for (const id of squadsToDelete) await quietly(() => vapiA.squads.delete({ id }));
    for (const id of assistantsToDelete) await quietly(() => vapiA.assistants.delete({ id }));
});

let frontDesk;
before(async () => {
    frontDesk = await vapiA.assistants.create({ ...minimalAssistant(uniq("front-desk")), firstMessage: "Front desk speaking." });
    assistantsToDelete.push(frontDesk.id);
});

function squadBody() {
    return {
        name: uniq("squad"),
        members: [
            {
                assistantId: frontDesk.id,
                assistantOverrides: { firstMessage: "Welcome to the clinic!", variableValues: { clinic: "Downtown" } },
                assistantDestinations: [
                    { type: "assistant", assistantName: "Billing Bot", message: "Let me hand you to billing.", description: "billing questions" },
                ],
            },
            {
                assistant: {
                    name: "Billing Bot",
                    firstMessage: "Billing here.",
                    model: {
                        provider: "openai",
                        model: "gpt-4o-mini",
                        temperature: 0.2,
                        messages: [{ role: "system", content: "You handle billing." }],
                    },
                    voice: { provider: "11labs", voiceId: "sarah" },
                    transcriber: { provider: "deepgram", model: "nova-2", language: "en" },
                    endCallPhrases: ["that is all"],
                },
                assistantDestinations: [{ type: "assistant", assistantName: frontDesk.name }],
            },
        ],
        membersOverrides: { maxDurationSeconds: 900, metadata: { source: "squad" } },
    };
}

describe("squads: CRUD", () => {
    test("create 201 with assistantId and inline-assistant members; round-trip on get and list", async () => {
        const body = squadBody();
        const sq = await created(vapiA.squads.create(body));
        squadsToDelete.push(sq.id);
        assertPersisted(sq, { orgId: ORG_A });
        assertContains(sq, body, "create");
        assertContains(await vapiA.squads.get({ id: sq.id }), body, "get");
        const list = await vapiA.squads.list({ limit: 1000 });
        assert.ok(Array.isArray(list));
        const listed = list.find((s) => s.id === sq.id);
        assert.ok(listed, "squad is listed");
        assertContains(listed, body, "list");
    });

    test("PATCH: name changes, members replaced, membersOverrides kept, updatedAt advances", async () => {
        const body = squadBody();
        const sq = await vapiA.squads.create(body);
        squadsToDelete.push(sq.id);
        await sleep(25);
        const members = [{ assistantId: frontDesk.id }];
        const p = await vapiA.squads.update({ id: sq.id, name: "renamed squad", members });
        assert.equal(p.name, "renamed squad");
        assertContains(p.members, members);
        assertContains(p.membersOverrides, body.membersOverrides);
        assert.equal(p.createdAt, sq.createdAt);
        assert.ok(Date.parse(p.updatedAt) > Date.parse(sq.updatedAt));
        assert.deepEqual(await vapiA.squads.get({ id: sq.id }), p);
    });

    test("DELETE returns the squad, then 404", async () => {
        const body = squadBody();
        const sq = await vapiA.squads.create(body);
        const d = await vapiA.squads.delete({ id: sq.id });
        assert.equal(d.id, sq.id);
        assertContains(d, body);
        await expectSdkError(vapiA.squads.get({ id: sq.id }), 404, { ctx: "GET after DELETE" });
        await expectSdkError(vapiA.squads.delete({ id: sq.id }), 404, { ctx: "DELETE after DELETE" });
    });

    test("list idAny filter returns exactly the requested squads", async () => {
        const s1 = await vapiA.squads.create({ members: [{ assistantId: frontDesk.id }] });
        const s2 = await vapiA.squads.create({ members: [{ assistantId: frontDesk.id }] });
        const s3 = await vapiA.squads.create({ members: [{ assistantId: frontDesk.id }] });
        squadsToDelete.push(s1.id, s2.id, s3.id);
        const list = await vapiA.squads.list({ idAny: `${s1.id},${s3.id}` });
        assert.deepEqual(new Set(list.map((s) => s.id)), new Set([s1.id, s3.id]));
    });
});

describe("squads: validation", () => {
    test("members is required", async () => {
        await expect400(vapiA.squads.create({ name: "no members" }), /members/);
    });
    test("unknown property on a member → 400", async () => {
        await expect400(vapiA.squads.create({ members: [{ assistantId: frontDesk.id, role: "lead" }] }), /role should not exist/);
    });
    test("inline member assistant is validated like an assistant", async () => {
        await expect400(
            vapiA.squads.create({ members: [{ assistant: { firstMessageMode: "yell" } }] }),
            /firstMessageMode/,
        );
    });
    test("unknown squad id → 404", async () => {
        await expectSdkError(vapiA.squads.get({ id: "00000000-0000-4000-8000-000000000002" }), 404);
    });
});
