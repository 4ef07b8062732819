-- Constituency and observations (M6.1–M6.3).
--
-- A member's constituency: the IP ranges, ASNs and domains it states it owns. An entry
-- takes effect (routes observations and indicators to the member) only once the
-- coordinator verified it; one that overlaps another member's entry is held for the
-- coordinator, with the overlaps recorded when it was registered.
CREATE TABLE constituency (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    ownership TEXT NOT NULL,
    status TEXT NOT NULL,
    overlapping TEXT NOT NULL,
    note TEXT NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (member_id, kind, value)
);
CREATE INDEX constituency_status ON constituency (status, created_at);

-- One ingestion: a file, an API call, a sensor's push. Written with its hits in one
-- transaction, so a batch is there whole or not at all.
CREATE TABLE observation_batches (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    submitted_by TEXT NOT NULL REFERENCES members (id),
    records INTEGER NOT NULL,
    hits INTEGER NOT NULL,
    first_at INTEGER,
    last_at INTEGER,
    created_at INTEGER NOT NULL
);

-- The records that hit a member's verified constituency: that member's private report.
-- Records that hit nobody are kept only in the council-wide daily counts below.
CREATE TABLE observation_hits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id TEXT NOT NULL REFERENCES members (id),
    batch_id TEXT NOT NULL REFERENCES observation_batches (id),
    observed_at INTEGER NOT NULL,
    day TEXT NOT NULL,
    sensor_id TEXT NOT NULL,
    sensor_type TEXT NOT NULL,
    src_ip TEXT,
    src_port INTEGER,
    dst_ip TEXT,
    dst_port INTEGER,
    protocol TEXT NOT NULL,
    asn INTEGER,
    hostname TEXT,
    tag TEXT NOT NULL,
    family TEXT NOT NULL,
    severity TEXT NOT NULL,
    count INTEGER NOT NULL,
    via TEXT NOT NULL,
    matched TEXT NOT NULL
);
CREATE INDEX observation_hits_member ON observation_hits (member_id, day, seq);

-- Council-wide daily counts by sensor type, protocol, port and tag: the trends, which
-- name no member. port is -1 for records without one.
CREATE TABLE observation_daily (
    day TEXT NOT NULL,
    sensor_type TEXT NOT NULL,
    protocol TEXT NOT NULL,
    port INTEGER NOT NULL,
    tag TEXT NOT NULL,
    records INTEGER NOT NULL,
    packets INTEGER NOT NULL,
    PRIMARY KEY (day, sensor_type, protocol, port, tag)
);

-- The daily digest e-mails sent (or being sent) to a member: one per member and day.
CREATE TABLE observation_digests (
    member_id TEXT NOT NULL REFERENCES members (id),
    day TEXT NOT NULL,
    hits INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (member_id, day)
);
