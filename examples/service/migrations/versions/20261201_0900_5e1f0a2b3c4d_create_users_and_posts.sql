-- revision: 5e1f0a2b3c4d
-- down_revision:
-- message: create users and posts
-- create_date: 2026-12-01T09:00:00Z

-- upgrade
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '');
CREATE INDEX posts_user_id ON posts (user_id);

-- downgrade
DROP TABLE posts;
DROP TABLE users;
