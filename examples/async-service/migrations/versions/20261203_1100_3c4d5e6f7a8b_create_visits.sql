-- revision: 3c4d5e6f7a8b
-- down_revision:
-- message: create visits
-- create_date: 2026-12-03 11:00:00

-- upgrade
CREATE TABLE visits (
    id BIGSERIAL PRIMARY KEY,
    path TEXT NOT NULL
);

-- downgrade
DROP TABLE visits;
