CREATE TABLE items (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL REFERENCES members (id),
    provider_sector TEXT NOT NULL,
    kind TEXT NOT NULL,
    confidence TEXT NOT NULL,
    tlp TEXT NOT NULL,
    status TEXT NOT NULL,
    victim_sector TEXT,
    revision BIGINT NOT NULL,
    content TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX items_provider ON items (provider, seq);
CREATE INDEX items_victim_sector ON items (victim_sector, seq);
CREATE INDEX items_kind ON items (kind, seq);
CREATE INDEX items_created ON items (created_at);

CREATE TABLE item_revisions (
    item_id TEXT NOT NULL REFERENCES items (id),
    revision BIGINT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (item_id, revision)
);

CREATE TABLE item_indicators (
    item_seq BIGINT NOT NULL REFERENCES items (seq),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    ip_lo TEXT,
    ip_hi TEXT
);
CREATE INDEX item_indicators_value ON item_indicators (value, item_seq);
CREATE INDEX item_indicators_ip ON item_indicators (ip_lo, ip_hi) WHERE ip_lo IS NOT NULL;
CREATE INDEX item_indicators_item ON item_indicators (item_seq);

CREATE TABLE item_refs (
    item_seq BIGINT NOT NULL REFERENCES items (seq),
    ref_type TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX item_refs_value ON item_refs (ref_type, value, item_seq);
CREATE INDEX item_refs_item ON item_refs (item_seq);

CREATE TABLE item_reads (
    item_id TEXT NOT NULL REFERENCES items (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    member_class TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    PRIMARY KEY (item_id, member_id)
);
