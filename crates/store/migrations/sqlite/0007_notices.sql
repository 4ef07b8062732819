-- Notices: what the council tells one member about one item (a feedback reminder, an
-- unanswered item to chase), delivered through the same outbox as alerts.
CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    item_id TEXT NOT NULL REFERENCES items (id),
    due_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, member_id, item_id)
);

-- A delivery now carries either an alert revision or a notice. SQLite cannot relax a
-- NOT NULL column in place: the table is rebuilt (nothing references it).
CREATE TABLE deliveries_v2 (
    id TEXT PRIMARY KEY,
    alert_id TEXT REFERENCES alerts (id),
    notice_id TEXT REFERENCES notices (id),
    revision INTEGER NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    channel_id TEXT NOT NULL REFERENCES channels (id),
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER,
    CHECK ((alert_id IS NULL) <> (notice_id IS NULL))
);
INSERT INTO deliveries_v2 (id, alert_id, notice_id, revision, member_id, channel_id, status, attempts,
    next_attempt_at, lease_until, last_error, created_at, delivered_at)
    SELECT id, alert_id, NULL, revision, member_id, channel_id, status, attempts,
    next_attempt_at, lease_until, last_error, created_at, delivered_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_v2 RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_alert ON deliveries (alert_id, member_id);
CREATE INDEX deliveries_notice ON deliveries (notice_id);
