-- revision: 8e44b9f3c6a1
-- down_revision: 5a1c0e7b2d90
-- message: note dates
-- create_date: 2026-03-02T14:30:00Z

-- upgrade
ALTER TABLE notes ADD COLUMN created_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00Z';

-- downgrade
ALTER TABLE notes DROP COLUMN created_at;
