-- People who sign in to the dashboard: users, their org memberships and roles, sessions,
-- one-time tokens (invitations and password resets, stored as SHA-256 only) and the
-- server's own secrets (the session signing key, shared by every node).

CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    email         TEXT COLLATE "C" NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL
);

CREATE TABLE memberships (
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    role       TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    id         TEXT COLLATE "C" PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    org_id     TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE user_tokens (
    id         TEXT COLLATE "C" PRIMARY KEY,
    kind       TEXT NOT NULL,
    hash       TEXT COLLATE "C" NOT NULL UNIQUE,
    org_id     TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    email      TEXT COLLATE "C" NOT NULL,
    role       TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    TEXT
);
CREATE INDEX user_tokens_org ON user_tokens (org_id, kind);

CREATE TABLE server_secrets (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);
