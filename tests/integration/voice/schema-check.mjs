// Validates everything the voice suite collected (schema-log.mjs) against Vapi's schemas
// (tests/fixtures/vapi-response-schemas.json, from scripts/gen-schemas.py --responses):
//   call records      -> Call
//   server messages   -> the ServerMessage* variant of their message.type
//   client messages   -> the ClientMessage* variant of their type
// with ajv: required fields, types and enums (endedReason, status, ...). Properties and
// message types Voxa sends beyond Vapi's schemas fail unless voxa-extras.json lists them
// (the one place where Voxa's extras are documented).
//
//   node tests/integration/voice/schema-check.mjs DIR
// Prints a summary per kind and type and every distinct problem; exits 1 on any.
import Ajv from "ajv";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const dir = process.argv[2];
if (!dir) {
    console.error("usage: schema-check.mjs DIR");
    process.exit(2);
}
const spec = JSON.parse(readFileSync(join(root, "tests/fixtures/vapi-response-schemas.json"), "utf8"));
const extras = JSON.parse(readFileSync(join(here, "voxa-extras.json"), "utf8"));
const schemas = spec.schemas;

// Voxa's documented request amendments (src/api/spec/overlay.json: the local and bench
// providers, legacy fields), applied as src/api/schema.cpp applies them: what Voxa accepts in
// an assistant comes back in the call's record and messages.
const overlay = JSON.parse(readFileSync(join(root, "src/api/spec/overlay.json"), "utf8"));
const REF = "#/components/schemas/";
const unions = (fn) => {
    const walk = (v) => {
        if (Array.isArray(v)) return v.forEach(walk);
        if (!v || typeof v !== "object") return;
        for (const k of ["oneOf", "anyOf"]) if (Array.isArray(v[k])) fn(v[k]);
        Object.values(v).forEach(walk);
    };
    walk(schemas);
};
for (const [name, schema] of Object.entries(overlay.schemas ?? {})) if (!name.startsWith("$comment")) schemas[name] = schema;
for (const add of overlay.addProperties ?? []) {
    const targets = new Set(add.to ?? []);
    if (add.toVariantsOf)
        unions((list) => {
            if (list.some((x) => x.$ref === REF + add.toVariantsOf)) for (const x of list) if (x.$ref) targets.add(x.$ref.slice(REF.length));
        });
    for (const t of targets) {
        if (!schemas[t]) continue;
        schemas[t].properties ??= {};
        for (const [k, v] of Object.entries(add.properties)) schemas[t].properties[k] ??= v;
    }
}
for (const { whereRef, add } of overlay.appendVariants ?? [])
    unions((list) => {
        if (list.some((x) => x.$ref === REF + whereRef) && !list.some((x) => x.$ref === REF + add)) list.push({ $ref: REF + add });
    });
// Where Vapi's spec says less than Vapi sends (voxa-extras.json "looser", with reasons).
for (const [name, props] of Object.entries(extras.looser ?? {}))
    for (const [k, v] of Object.entries(props)) if (!k.startsWith("$comment") && schemas[name]?.properties) schemas[name].properties[k] = v;

// OpenAPI 3.0 as ajv takes it. A union whose variants carry a discriminating property
// (discriminator.propertyName, or provider / type / role with one enum value per variant) is
// checked against the variant that property names, so an error points into that variant; other
// unions are anyOf (Vapi's variants are open objects that overlap: by the spec's letter a bot
// message is a valid UserMessage too). Formats are not checked. Spec quirks: an empty enum
// (no constraint meant), an enum on an array itself (its items carry it) and nullable
// without a type are dropped.
const variantValues = (ref, prop) => {
    const s = ref?.startsWith(REF) ? schemas[ref.slice(REF.length)] : null;
    const e = s?.properties?.[prop]?.enum;
    return Array.isArray(e) && e.length ? e : null;
};
function discriminated(list, discriminator) {
    const props = discriminator?.propertyName ? [discriminator.propertyName] : ["provider", "type", "role"];
    if (!list.every((x) => x.$ref)) return null;
    for (const prop of props) {
        const byValue = new Map();
        let ok = true;
        for (const x of list) {
            const values = variantValues(x.$ref, prop);
            if (!values) { ok = false; break; }
            for (const v of values) {
                if (byValue.has(v) && byValue.get(v) !== x.$ref) ok = false;
                byValue.set(v, x.$ref);
            }
        }
        if (!ok || !byValue.size) continue;
        return {
            required: [prop],
            properties: { [prop]: { enum: [...byValue.keys()] } },
            allOf: [...byValue].map(([v, ref]) => ({ if: { properties: { [prop]: { const: v } }, required: [prop] }, then: { $ref: ref } })),
        };
    }
    return null;
}
const strip = (v) => {
    if (Array.isArray(v)) return v.map(strip);
    if (!v || typeof v !== "object") return v;
    const o = {};
    for (const [k, x] of Object.entries(v)) {
        if (k === "discriminator" || (k === "enum" && Array.isArray(x) && (!x.length || v.type === "array"))) continue;
        if (k === "oneOf" || k === "anyOf") {
            const d = discriminated(x, v.discriminator);
            if (d) {
                o.allOf = [...(o.allOf ?? []), d];
                continue;
            }
            o.anyOf = strip(x);
            continue;
        }
        if (k === "allOf") {
            o.allOf = [...(o.allOf ?? []), ...strip(x)];
            continue;
        }
        o[k] = k === "properties" ? Object.fromEntries(Object.entries(x).map(([n, s]) => [n, strip(s)])) : strip(x);
    }
    if (o.nullable && !o.type) delete o.nullable;
    // Some patterns are written as JavaScript regex literals ("/^...$/").
    if (typeof o.pattern === "string" && o.pattern.length > 2 && o.pattern.startsWith("/") && o.pattern.endsWith("/"))
        o.pattern = o.pattern.slice(1, -1);
    return o;
};
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: "vapi", components: { schemas: strip(schemas) } });
const validator = (name) => ajv.getSchema(`vapi#/components/schemas/${name}`);

/** type -> schema name, from each variant's `type` enum. */
function variantsByType(prefix) {
    const out = new Map();
    for (const [name, s] of Object.entries(schemas)) {
        if (!name.startsWith(prefix) || name === prefix || name.startsWith(prefix + "Response")) continue;
        for (const t of s.properties?.type?.enum ?? []) if (!out.has(t)) out.set(t, name);
    }
    return out;
}
const serverTypes = variantsByType("ServerMessage");
const clientTypes = variantsByType("ClientMessage");

const items = [];
for (const f of readdirSync(dir).filter((f) => f.endsWith(".jsonl")))
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) if (line) items.push(JSON.parse(line));

const counts = new Map();
const problems = new Map();  // text -> {count, example}
const problem = (text, where) => {
    const p = problems.get(text) ?? { count: 0, where };
    p.count++;
    problems.set(text, p);
};

function check(kind, schemaName, obj, where, label) {
    counts.set(label, (counts.get(label) ?? 0) + 1);
    const validate = validator(schemaName);
    if (!validate(obj))
        for (const e of validate.errors) {
            if (e.keyword === "if") continue;  // "must match then schema": the variant's own errors say why
            const allowed = e.keyword === "enum" ? ` (allowed: ${e.params.allowedValues.length} values)` : "";
            const value = e.keyword === "enum" || e.keyword === "type" ? ` got ${JSON.stringify(valueAt(obj, e.instancePath))?.slice(0, 80)}` : "";
            problem(`${label}: ${e.instancePath || "/"} ${e.message}${allowed}${value}`, where);
        }
    // Top-level properties beyond Vapi's schema must be documented extras.
    const known = new Set(Object.keys(schemas[schemaName].properties ?? {}));
    const allowedExtra = new Set(extras.properties?.[schemaName] ?? []);
    for (const k of Object.keys(obj)) if (!known.has(k) && !allowedExtra.has(k)) problem(`${label}: property "${k}" is not in Vapi's ${schemaName} (voxa-extras.json lists Voxa's extras)`, where);
}

function valueAt(obj, path) {
    let v = obj;
    for (const part of path.split("/").slice(1)) v = v?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    return v;
}

for (const { kind, body, where } of items) {
    if (kind === "call") {
        check(kind, "Call", body, where, "call record");
    } else if (kind === "server") {
        const m = body?.message;
        // Server types Vapi documents (assistant.serverMessages) without a ServerMessage*
        // schema of their own, such as assistant.started, have the client message's shape.
        const name = serverTypes.get(m?.type) ?? clientTypes.get(m?.type);
        if (!name) {
            if (!(extras.serverMessageTypes ?? []).includes(m?.type)) problem(`server message type "${m?.type}" is not one of Vapi's`, where);
            continue;
        }
        check(kind, name, m, where, `server ${m.type}`);
    } else if (kind === "client") {
        // Client types Vapi documents (assistant.clientMessages) without a ClientMessage*
        // schema of their own, such as status-update, have the server message's shape.
        const name = clientTypes.get(body?.type) ?? serverTypes.get(body?.type);
        if (!name) {
            if (!(extras.clientMessageTypes ?? []).includes(body?.type)) problem(`client message type "${body?.type}" is not one of Vapi's`, where);
            continue;
        }
        check(kind, name, body, where, `client ${body.type}`);
    }
}

console.log(`schema-check: ${items.length} objects from the voice suite`);
for (const [label, n] of [...counts].sort()) console.log(`  ${String(n).padStart(5)}  ${label}`);
if (problems.size) {
    console.error(`\nschema-check: ${problems.size} distinct problem(s) against Vapi's schemas:`);
    for (const [text, p] of problems) console.error(`- ${text}  [${p.count}x, e.g. ${p.where}]`);
    process.exit(1);
}
console.log("schema-check: every call record and message matches Vapi's schemas");
