#!/usr/bin/env python3
"""Extracts the request-body schemas Voxa validates from Vapi's OpenAPI document.

    scripts/gen-schemas.py [--spec ../shared/api/vapi-openapi.json]
                           [--out src/api/spec/vapi-schemas.json]
    scripts/gen-schemas.py --responses [--out tests/fixtures/vapi-response-schemas.json]

--responses extracts instead what Voxa answers and sends: the Call record and every
ServerMessage* / ClientMessage* schema, for the tests that validate Voxa's output against
Vapi's shapes (tests/integration/voice/schema-check.mjs, tests/unit/pipeline).

Writes only the component schemas reachable (through $ref) from the request DTOs Voxa serves,
keeping only validating keywords (type, properties, required, enum, bounds, pattern, format,
oneOf/anyOf/allOf, discriminator, nullable, items, additionalProperties). Output is minified
with sorted keys so regeneration is deterministic; it is committed as the validation contract
and embedded into the binary (src/api/schema.cpp reads it, src/api/spec/overlay.json amends it).

Output shape: {"source": "<spec title> <version>", "schemas": {Name: schema}}; $ref values
keep their OpenAPI form "#/components/schemas/Name".
"""
import argparse
import json
import os
import re
import sys

REF_PREFIX = "#/components/schemas/"

FIXED_ROOTS = [
    "CreateAssistantDTO", "UpdateAssistantDTO", "AssistantOverrides",
    "CreateSquadDTO", "UpdateSquadDTO", "UpdateFileDTO",
    "CreateCallDTO", "UpdateCallDTO", "AnalyticsQueryDTO",
]
# Request bodies whose oneOf variants are roots (tool and phone-number unions).
BODY_ROOTS = [
    ("/tool", "post"), ("/tool/{id}", "patch"),
    ("/phone-number", "post"), ("/phone-number/{id}", "patch"),
]
CREDENTIAL_RE = re.compile(r"^(Create|Update)\w*CredentialDTO$")

# Keywords that affect validation; everything else (description, example, title, default,
# deprecated, readOnly, ...) is dropped.
SCHEMA_KEYS = {
    "type", "properties", "required", "items", "enum", "oneOf", "anyOf", "allOf", "$ref",
    "nullable", "minimum", "maximum", "minLength",
    "maxLength", "minItems", "maxItems", "pattern", "format", "discriminator",
    "additionalProperties",
}


def clean(schema):
    """Returns a copy of a schema object with only validating keywords."""
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, val in schema.items():
        if key not in SCHEMA_KEYS:
            continue
        if key == "properties":
            # Keys here are property names (a property may be called "description").
            out[key] = {name: clean(sub) for name, sub in val.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = clean(val) if isinstance(val, dict) else val
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [clean(sub) for sub in val]
        elif key == "discriminator":
            out[key] = {k: v for k, v in val.items() if k in ("propertyName", "mapping")}
        else:
            out[key] = val
    # Spec quirk: a few string enums are declared "type": "object" (TransferPlan.sipVerb,
    # BackoffPlan.type, AudioFormat.format). Vapi accepts the strings, so do we.
    enum = out.get("enum")
    if out.get("type") == "object" and enum and all(isinstance(e, str) for e in enum):
        out["type"] = "string"
    return out


def refs_in(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref[len(REF_PREFIX):])
        for val in node.values():
            refs_in(val, found)
    elif isinstance(node, list):
        for val in node:
            refs_in(val, found)


def body_variants(doc, path, method):
    schema = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    names = []
    for variant in schema.get("oneOf", [schema]):
        ref = variant.get("$ref", "")
        if ref.startswith(REF_PREFIX):
            names.append(ref[len(REF_PREFIX):])
    return names


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=os.path.join(root, "..", "shared", "api",
                                                       "vapi-openapi.json"))
    parser.add_argument("--out")
    parser.add_argument("--responses", action="store_true")
    args = parser.parse_args()
    if not args.out:
        args.out = (os.path.join(root, "tests", "fixtures", "vapi-response-schemas.json") if args.responses
                    else os.path.join(root, "src", "api", "spec", "vapi-schemas.json"))

    with open(args.spec, encoding="utf-8") as f:
        doc = json.load(f)
    all_schemas = doc["components"]["schemas"]

    if args.responses:
        roots = ["Call"] + sorted(n for n in all_schemas
                                  if n.startswith("ServerMessage") or n.startswith("ClientMessage"))
    else:
        roots = list(FIXED_ROOTS)
        for path, method in BODY_ROOTS:
            roots += body_variants(doc, path, method)
        roots += sorted(n for n in all_schemas if CREDENTIAL_RE.match(n))
    missing = [n for n in roots if n not in all_schemas]
    if missing:
        sys.exit("gen-schemas: roots missing from the spec: " + ", ".join(missing))

    # Breadth-first closure over $ref.
    kept = {}
    queue = list(dict.fromkeys(roots))
    while queue:
        name = queue.pop()
        if name in kept:
            continue
        if name not in all_schemas:
            sys.exit("gen-schemas: dangling $ref to " + name)
        kept[name] = clean(all_schemas[name])
        found = set()
        refs_in(kept[name], found)
        queue += sorted(found - kept.keys())

    info = doc.get("info", {})
    out = {
        "source": "%s %s" % (info.get("title", "openapi"), info.get("version", "")),
        "schemas": kept,
    }
    text = json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
        f.write("\n")
    size = os.path.getsize(args.out)
    print("%s: %d schemas (%d roots), %d bytes (%.1f KiB)"
          % (os.path.relpath(args.out), len(kept), len(set(roots)), size, size / 1024))


if __name__ == "__main__":
    main()
