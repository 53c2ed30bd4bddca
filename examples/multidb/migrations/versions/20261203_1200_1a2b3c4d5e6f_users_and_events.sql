-- revision: 1a2b3c4d5e6f
-- down_revision:
-- message: users and events
-- create_date: 2026-12-03 12:00:00

-- upgrade
CREATE TABLE app_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);

-- upgrade main
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);

-- upgrade analytics
CREATE TABLE events (id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, user_id INTEGER NOT NULL);

-- downgrade
DROP TABLE app_settings;

-- downgrade main
DROP TABLE users;

-- downgrade analytics
DROP TABLE events;
