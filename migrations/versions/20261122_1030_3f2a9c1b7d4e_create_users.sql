-- revision: 3f2a9c1b7d4e
-- down_revision:
-- message: create users
-- create_date: 2026-11-22T10:30:00Z

-- upgrade
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

-- downgrade
DROP TABLE users;
