-- Federation (issue 12): a partner's sharing agreement (JSON), NULL for the council's own
-- members.
ALTER TABLE members ADD COLUMN agreement TEXT;
