-- revision: 9d0e1f2a3b4c
-- down_revision: 3c4d5e6f7a8b
-- message: add visit time
-- create_date: 2026-12-03 11:10:00

-- upgrade
ALTER TABLE visits ADD COLUMN seen_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX visits_seen_at ON visits (seen_at);

-- downgrade
DROP INDEX visits_seen_at;
ALTER TABLE visits DROP COLUMN seen_at;
