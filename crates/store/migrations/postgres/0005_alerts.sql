CREATE TABLE alerts (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    issuer TEXT NOT NULL REFERENCES members (id),
    status TEXT NOT NULL,
    revision BIGINT NOT NULL,
    content TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE alert_revisions (
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    revision BIGINT NOT NULL,
    status TEXT NOT NULL,
    content TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (alert_id, revision)
);

CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    secret TEXT,
    max_in_flight BIGINT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX channels_member ON channels (member_id);

CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    revision BIGINT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    channel_id TEXT NOT NULL REFERENCES channels (id),
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_alert ON deliveries (alert_id, member_id);

CREATE TABLE alert_receipts (
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    delivered_at BIGINT,
    read_at BIGINT,
    acted_at BIGINT,
    PRIMARY KEY (alert_id, member_id)
);

CREATE TABLE stream_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    revision BIGINT NOT NULL,
    at BIGINT NOT NULL
);
