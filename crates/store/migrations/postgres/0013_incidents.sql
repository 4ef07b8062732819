-- Unified incident reporting (M5.1–M5.4): an incident of one reporting member, and
-- every version of its reports (the checked report document as JSON), each with the
-- members it was routed to when it was submitted: the secretariat and the regulators
-- of the reporter's sector. Reports are not items: no export reads these tables.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    reporter TEXT NOT NULL REFERENCES members (id),
    reporter_sector TEXT NOT NULL,
    kind TEXT NOT NULL,
    regime TEXT NOT NULL,
    title TEXT NOT NULL,
    aware_at BIGINT NOT NULL,
    consent_to_share BIGINT NOT NULL,
    shared_item TEXT REFERENCES items (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX incidents_reporter ON incidents (reporter, created_at);

CREATE TABLE incident_reports (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    version BIGINT NOT NULL,
    stage TEXT NOT NULL,
    purpose TEXT NOT NULL,
    document TEXT NOT NULL,
    submitted_by TEXT NOT NULL REFERENCES users (id),
    submitted_at BIGINT NOT NULL,
    PRIMARY KEY (incident_id, version)
);

CREATE TABLE incident_recipients (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    version BIGINT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    role TEXT NOT NULL,
    PRIMARY KEY (incident_id, version, member_id)
);
CREATE INDEX incident_recipients_member ON incident_recipients (member_id, incident_id);
