-- The asset registry (M4.2): the products and devices each member runs, registered by
-- form, API or CSV, and the components of the SBOMs it uploads. Private to the member;
-- the coordinator sees anonymised counts only. Matching looks assets up by the
-- lower-cased vendor:product of their CPE (cpe_key) or the type/namespace/name of
-- their purl (purl_key); version_key (crate::version::sort_key, compared bytewise)
-- turns a version range into an index range.
CREATE TABLE sboms (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    serial TEXT,
    components INTEGER NOT NULL,
    sector_service TEXT NOT NULL,
    internet_facing INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX sboms_member ON sboms (member_id, created_at);

CREATE TABLE assets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    member_id TEXT NOT NULL REFERENCES members (id),
    sbom_id TEXT REFERENCES sboms (id) ON DELETE CASCADE,
    vendor TEXT NOT NULL,
    product TEXT NOT NULL,
    version TEXT NOT NULL,
    model TEXT NOT NULL,
    cpe TEXT,
    cpe_derived INTEGER NOT NULL,
    purl TEXT,
    cpe_key TEXT,
    purl_key TEXT,
    version_key TEXT,
    sector_service TEXT NOT NULL,
    internet_facing INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX assets_member ON assets (member_id, seq);
CREATE INDEX assets_sbom ON assets (sbom_id);
CREATE INDEX assets_cpe_key ON assets (cpe_key, version_key);
CREATE INDEX assets_purl_key ON assets (purl_key);

-- CSAF 2.0 advisories (security advisory and VEX profiles) imported by the curators:
-- the document as sent, one row per (publisher namespace, tracking id), the newest
-- release kept; linked to catalogue entries by CVE.
CREATE TABLE advisories (
    id TEXT PRIMARY KEY,
    publisher_namespace TEXT NOT NULL,
    tracking_id TEXT NOT NULL,
    publisher TEXT NOT NULL,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    tlp TEXT,
    release_date INTEGER NOT NULL,
    document TEXT NOT NULL,
    imported_by TEXT NOT NULL REFERENCES members (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (publisher_namespace, tracking_id)
);

CREATE TABLE advisory_cves (
    advisory_id TEXT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    cve TEXT NOT NULL,
    PRIMARY KEY (advisory_id, cve)
);
CREATE INDEX advisory_cves_cve ON advisory_cves (cve);
