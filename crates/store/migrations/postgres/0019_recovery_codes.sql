-- Recovery codes of the second factor (issue 11): ten one-time codes given at TOTP
-- enrolment, for a user who lost its authenticator. Only their SHA-256 is kept (each
-- code carries 80 random bits); a used code keeps its row with the time it was used.
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
