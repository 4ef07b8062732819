-- The council's catalogue of known-exploited vulnerabilities: one row per CVE, the
-- entry as JSON (KEV's fields and the council's), proposed by a class-1 member or the
-- coordinator and published after review (or imported from a KEV feed).
CREATE TABLE kev_entries (
    cve_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    entry TEXT NOT NULL,
    proposed_by TEXT REFERENCES members (id),
    reviewed_by TEXT REFERENCES members (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX kev_entries_status ON kev_entries (status, updated_at);
