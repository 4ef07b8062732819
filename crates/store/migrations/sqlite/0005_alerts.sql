CREATE TABLE alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    issuer TEXT NOT NULL REFERENCES members (id),
    status TEXT NOT NULL,
    revision INTEGER NOT NULL,
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE alert_revisions (
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    revision INTEGER NOT NULL,
    status TEXT NOT NULL,
    content TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (alert_id, revision)
);

CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    secret TEXT,
    max_in_flight INTEGER NOT NULL,
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX channels_member ON channels (member_id);

CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    revision INTEGER NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    channel_id TEXT NOT NULL REFERENCES channels (id),
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_alert ON deliveries (alert_id, member_id);

CREATE TABLE alert_receipts (
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    delivered_at INTEGER,
    read_at INTEGER,
    acted_at INTEGER,
    PRIMARY KEY (alert_id, member_id)
);

CREATE TABLE stream_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    revision INTEGER NOT NULL,
    at INTEGER NOT NULL
);
