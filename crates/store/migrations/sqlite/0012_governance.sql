-- Governance (M1.5, M1.6): the steering committee's declarations of a large-scale
-- cyber attack, the coordinator's requests for information (binding only under a
-- declaration in force), and the general assembly's votes.

-- A declaration is proposed by one committee member and takes effect once a second,
-- different one confirms it; ended_early marks an end set by the committee.
CREATE TABLE declarations (
    id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER,
    ended_early INTEGER NOT NULL,
    proposed_by TEXT NOT NULL REFERENCES members (id),
    confirmed_by TEXT REFERENCES members (id),
    confirmed_at INTEGER,
    created_at INTEGER NOT NULL
);

-- A request for information; declaration_id is set exactly when it is binding. The
-- target as named is kept as JSON; the members it reached when sent are listed in
-- rfi_recipients (members admitted later are not asked).
CREATE TABLE rfis (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    question TEXT NOT NULL,
    target TEXT NOT NULL,
    declaration_id TEXT REFERENCES declarations (id),
    sent_by TEXT NOT NULL REFERENCES members (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX rfis_created ON rfis (created_at);

CREATE TABLE rfi_recipients (
    rfi_id TEXT NOT NULL REFERENCES rfis (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    PRIMARY KEY (rfi_id, member_id)
);
CREATE INDEX rfi_recipients_member ON rfi_recipients (member_id);

-- Answers; items is a JSON array of shared item ids; late marks an answer to a
-- binding request given after its declaration ended.
CREATE TABLE rfi_answers (
    id TEXT PRIMARY KEY,
    rfi_id TEXT NOT NULL REFERENCES rfis (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    items TEXT NOT NULL,
    late INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX rfi_answers_rfi ON rfi_answers (rfi_id, member_id);

-- General-assembly votes; choices is a JSON array of strings, addressed by index.
CREATE TABLE votes (
    id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    choices TEXT NOT NULL,
    closes_at INTEGER NOT NULL,
    opened_by TEXT NOT NULL REFERENCES members (id),
    created_at INTEGER NOT NULL
);

-- Secrecy: who voted (vote_voters) and what was voted (vote_ballots) are two tables
-- with no column in common but the vote. A ballot holds only the SHA-256 of the
-- receipt code given to the voter (the code itself is never stored) and the choice:
-- no time, no sequence, and no rowid (WITHOUT ROWID keeps rows in receipt-hash order,
-- not insertion order). Residual risk: the times in vote_voters and in the audit log
-- could still be correlated with ballots by someone watching the database live.
CREATE TABLE vote_voters (
    vote_id TEXT NOT NULL REFERENCES votes (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    voted_at INTEGER NOT NULL,
    PRIMARY KEY (vote_id, member_id)
);

CREATE TABLE vote_ballots (
    vote_id TEXT NOT NULL REFERENCES votes (id),
    receipt_hash TEXT NOT NULL,
    choice INTEGER NOT NULL,
    PRIMARY KEY (vote_id, receipt_hash)
) WITHOUT ROWID;
