-- Security clearance (issue 13, M2.8).
--
-- A clearance belongs to a user: a level, the period it counts, the decision it rests
-- on. Revoked grants stay, with who revoked them and why; `expiry_audited` marks a
-- grant whose expiry has been written to the audit log.
CREATE TABLE clearances (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    level TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    basis TEXT NOT NULL,
    granted_by TEXT NOT NULL REFERENCES users (id),
    granted_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT REFERENCES users (id),
    revoke_reason TEXT,
    expiry_audited BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX clearances_user ON clearances (user_id);
CREATE INDEX clearances_expiry ON clearances (expiry_audited, expires_at);

-- A channel may be a user's own address (`user_id`): it then receives what that user
-- may see, cleared items included. A member-wide channel receives cleared items only
-- when the coordinator has registered it as cleared at a level (`cleared_level`).
ALTER TABLE channels ADD COLUMN user_id TEXT REFERENCES users (id);
ALTER TABLE channels ADD COLUMN cleared_level TEXT;
