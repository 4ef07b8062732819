-- Federation (issue 12): pushing to partners, and who partners may speak as.
--
-- A link is where this council pushes a partner's view: the partner's TAXII collection
-- and the token the partner issued to this council (kept as given: it is presented to
-- the partner, never shown again). The watermark is the (updated_at, seq) position in
-- the items up to which the partner's view has been sent; a lease lets one server of
-- several run a partner's sync at a time; the rest is what the operators see.
CREATE TABLE partner_links (
    partner_id TEXT PRIMARY KEY REFERENCES members (id),
    url TEXT NOT NULL,
    token TEXT NOT NULL,
    watermark_at INTEGER NOT NULL DEFAULT 0,
    watermark_seq INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER NOT NULL DEFAULT 0,
    last_attempt INTEGER,
    last_success INTEGER,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL DEFAULT 0,
    backlog INTEGER NOT NULL DEFAULT 0,
    pushed INTEGER NOT NULL DEFAULT 0,
    refused INTEGER NOT NULL DEFAULT 0
);

-- What each partner was last sent of each item: the revision, and whether it was the
-- item (`sent`), its revocation (`revoked`) or refused by the partner (`refused`,
-- with the partner's reason), so a retraction or a narrowing is told to every partner
-- that had the item, and nothing is sent twice.
CREATE TABLE partner_outbox (
    partner_id TEXT NOT NULL REFERENCES members (id),
    item_id TEXT NOT NULL REFERENCES items (id),
    container TEXT NOT NULL,
    revision INTEGER NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at INTEGER NOT NULL,
    PRIMARY KEY (partner_id, item_id)
);

-- The STIX identities each partner creates objects as: pinned at first use, so that no
-- partner can later claim to be another.
CREATE TABLE partner_identities (
    identity TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES members (id),
    pinned_at INTEGER NOT NULL
);
