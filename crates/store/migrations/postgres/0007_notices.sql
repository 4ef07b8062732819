-- Notices: what the council tells one member about one item (a feedback reminder, an
-- unanswered item to chase), delivered through the same outbox as alerts.
CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    item_id TEXT NOT NULL REFERENCES items (id),
    due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, member_id, item_id)
);

-- A delivery now carries either an alert revision or a notice.
ALTER TABLE deliveries ALTER COLUMN alert_id DROP NOT NULL;
ALTER TABLE deliveries ADD COLUMN notice_id TEXT REFERENCES notices (id);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_one_subject CHECK ((alert_id IS NULL) <> (notice_id IS NULL));
CREATE INDEX deliveries_notice ON deliveries (notice_id);
