CREATE TABLE item_feedback (
    item_id TEXT NOT NULL REFERENCES items (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    responder TEXT NOT NULL,
    feedback TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (item_id, member_id)
);
CREATE UNIQUE INDEX item_feedback_responder ON item_feedback (item_id, responder);
CREATE INDEX item_feedback_member ON item_feedback (member_id, first_at);

CREATE TABLE item_feedback_history (
    item_id TEXT NOT NULL REFERENCES items (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    feedback TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX item_feedback_history_item ON item_feedback_history (item_id, member_id, at);

CREATE TABLE item_sources (
    item_id TEXT NOT NULL REFERENCES items (id),
    source_id TEXT NOT NULL REFERENCES items (id),
    PRIMARY KEY (item_id, source_id)
);
