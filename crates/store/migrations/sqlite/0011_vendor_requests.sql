-- Vendor coordination: the council's requests to a product vendor about a catalogue
-- entry (a member of the council, or an outside contact reached by e-mail), where the
-- fix stands, and the history of answers and updates.
CREATE TABLE vendor_requests (
    id TEXT PRIMARY KEY,
    cve_id TEXT NOT NULL REFERENCES kev_entries (cve_id),
    vendor_member TEXT REFERENCES members (id),
    vendor_name TEXT,
    contact_email TEXT,
    product TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    planned_fix_date TEXT,
    fixed_version TEXT,
    created_by TEXT NOT NULL REFERENCES members (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((vendor_member IS NOT NULL AND vendor_name IS NULL AND contact_email IS NULL)
        OR (vendor_member IS NULL AND vendor_name IS NOT NULL AND contact_email IS NOT NULL))
);
CREATE INDEX vendor_requests_cve ON vendor_requests (cve_id);
CREATE INDEX vendor_requests_vendor ON vendor_requests (vendor_member);

-- One row per answer or update, in order (n from 0: the opening).
CREATE TABLE vendor_request_updates (
    request_id TEXT NOT NULL REFERENCES vendor_requests (id),
    n INTEGER NOT NULL,
    at INTEGER NOT NULL,
    by_label TEXT NOT NULL,
    recorded_by TEXT REFERENCES members (id),
    status TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (request_id, n)
);
