-- Initial schema (SQLite). Timestamps are ISO-8601 UTC text so they compare as strings;
-- bodies are the JSON objects served by the API.

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body       TEXT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at DESC, id DESC);

CREATE TABLE resources (
    id         TEXT NOT NULL,
    org_id     TEXT NOT NULL REFERENCES orgs(id),
    kind       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body       TEXT NOT NULL,
    a1         TEXT,
    a2         TEXT,
    a3         TEXT,
    PRIMARY KEY (kind, id)
);
CREATE INDEX resources_list ON resources (org_id, kind, created_at DESC, id DESC);
CREATE INDEX resources_a1 ON resources (kind, a1);
CREATE INDEX resources_a2 ON resources (kind, a2);
CREATE INDEX resources_a3 ON resources (kind, a3);
