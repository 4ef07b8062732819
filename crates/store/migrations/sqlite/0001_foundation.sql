CREATE TABLE members (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    pseudonym TEXT NOT NULL UNIQUE,
    class TEXT NOT NULL,
    roles TEXT NOT NULL,
    sector TEXT NOT NULL,
    category TEXT NOT NULL,
    foreign_affiliated INTEGER NOT NULL,
    tf_special_approval INTEGER NOT NULL,
    regulator_of TEXT NOT NULL,
    confidential_opt_out INTEGER NOT NULL,
    status TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    reason TEXT NOT NULL,
    application_secret_hash TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX members_live_name ON members (name_key) WHERE status IN ('applied', 'active');
CREATE INDEX members_status ON members (status);

CREATE TABLE approvals (
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    committee_member TEXT NOT NULL REFERENCES members (id),
    user_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (subject_type, subject_id, committee_member)
);

CREATE TABLE class_requests (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    from_class TEXT NOT NULL,
    to_class TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    decided_at INTEGER
);
CREATE UNIQUE INDEX class_requests_open ON class_requests (member_id) WHERE status = 'pending';

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    login TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    disabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX users_member ON users (member_id);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX tokens_user ON tokens (user_id);
CREATE INDEX tokens_member ON tokens (member_id);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_user TEXT,
    actor_member TEXT,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_target ON audit_log (target_type, target_id);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
