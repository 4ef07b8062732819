CREATE TABLE consultations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    asker TEXT NOT NULL REFERENCES members (id),
    subject TEXT NOT NULL,
    text TEXT NOT NULL,
    indicators TEXT NOT NULL,
    status TEXT NOT NULL,
    shared_item TEXT REFERENCES items (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX consultations_asker ON consultations (asker, seq);
CREATE INDEX consultations_status ON consultations (status, seq);

CREATE TABLE consultation_replies (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    responder TEXT NOT NULL REFERENCES members (id),
    text TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX consultation_replies_consultation ON consultation_replies (consultation_id, seq);
