-- Initial schema (PostgreSQL). Keys, kinds, timestamps and attributes use COLLATE "C" so
-- ordering and comparison are byte-wise, exactly as in SQLite, whatever the cluster locale.

CREATE TABLE orgs (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    body       TEXT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    hash       TEXT COLLATE "C" NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at DESC, id DESC);

CREATE TABLE resources (
    id         TEXT COLLATE "C" NOT NULL,
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
    kind       TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    body       TEXT NOT NULL,
    a1         TEXT COLLATE "C",
    a2         TEXT COLLATE "C",
    a3         TEXT COLLATE "C",
    PRIMARY KEY (kind, id)
);
CREATE INDEX resources_list ON resources (org_id, kind, created_at DESC, id DESC);
CREATE INDEX resources_a1 ON resources (kind, a1);
CREATE INDEX resources_a2 ON resources (kind, a2);
CREATE INDEX resources_a3 ON resources (kind, a3);
