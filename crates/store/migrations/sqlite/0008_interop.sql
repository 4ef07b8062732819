-- Interoperability: TAXII pages items in the order they were added or last changed;
-- a STIX import keeps the provider's original ids and the objects the council does
-- not model; TAXII add-status resources outlive the request (any server answers
-- them); server-wide keys sign stateless cursors; TAXII sources remember where an
-- incremental pull stopped.
CREATE INDEX items_updated ON items (updated_at, seq);

CREATE TABLE item_stix (
    item_id TEXT PRIMARY KEY REFERENCES items (id),
    originals TEXT NOT NULL
);

CREATE TABLE taxii_status (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);

CREATE TABLE taxii_sources (
    url TEXT NOT NULL,
    collection TEXT NOT NULL,
    added_after TEXT,
    PRIMARY KEY (url, collection)
);

-- Where an imported item came from (a STIX container, a MISP event, a bundle's loose
-- objects), per provider, so that importing the same source again updates the item
-- (or leaves it alone when unchanged) instead of sharing it twice.
CREATE TABLE item_external (
    provider TEXT NOT NULL REFERENCES members (id),
    external_id TEXT NOT NULL,
    item_id TEXT NOT NULL REFERENCES items (id),
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (provider, external_id)
);
