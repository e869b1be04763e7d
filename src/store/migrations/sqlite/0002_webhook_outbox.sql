-- The webhook outbox: every fire-and-forget server message is stored here before it is
-- sent, and stays until it is delivered or expires. Events with the same order_key (the
-- call id) are delivered one at a time in seq order. Times in epoch milliseconds.

CREATE TABLE webhook_outbox (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    order_key       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    type            TEXT NOT NULL,
    target          TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    claim_until     INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_status     INTEGER,
    last_error      TEXT
);
CREATE INDEX webhook_outbox_order ON webhook_outbox (order_key, seq) WHERE status = 'pending';
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_outbox_done ON webhook_outbox (updated_at) WHERE status <> 'pending';
