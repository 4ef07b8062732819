-- The web portal (issue 11): browser sessions and each user's second factor and language.
--
-- A session is found by the SHA-256 of its random id (the raw id lives only in the
-- browser's cookie). A session whose password step passed but whose TOTP step has not
-- yet is `second_factor_done = 0` and opens nothing but the TOTP step. `totp_pending`
-- holds a secret being enrolled until its first code confirms it; `failures` counts
-- wrong TOTP codes, so a pending login is dropped after a few.
CREATE TABLE portal_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    second_factor_done INTEGER NOT NULL,
    totp_pending TEXT,
    failures INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at);

-- RFC 6238 secret (base32), NULL until enrolled; the last time step whose code was
-- accepted, so a code cannot be used twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at INTEGER;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
ALTER TABLE users ADD COLUMN portal_lang TEXT NOT NULL DEFAULT 'ja';
