-- revision: 5a1c0e7b2d90
-- down_revision:
-- message: notes
-- create_date: 2026-01-10T09:00:00Z

-- upgrade
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL
);

-- downgrade
DROP TABLE notes;
