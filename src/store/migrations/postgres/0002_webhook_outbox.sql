-- The webhook outbox: every fire-and-forget server message is stored here before it is
-- sent, and stays until it is delivered or expires. Events with the same order_key (the
-- call id) are delivered one at a time in seq order. Times in epoch milliseconds.

CREATE TABLE webhook_outbox (
    id              TEXT COLLATE "C" PRIMARY KEY,
    org_id          TEXT COLLATE "C" NOT NULL,
    order_key       TEXT COLLATE "C" NOT NULL,
    seq             BIGINT NOT NULL,
    type            TEXT NOT NULL,
    target          TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    claim_until     BIGINT,
    created_at      TEXT COLLATE "C" NOT NULL,
    updated_at      TEXT COLLATE "C" NOT NULL,
    last_status     INTEGER,
    last_error      TEXT
);
CREATE INDEX webhook_outbox_order ON webhook_outbox (order_key, seq) WHERE status = 'pending';
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_outbox_done ON webhook_outbox (updated_at) WHERE status <> 'pending';
