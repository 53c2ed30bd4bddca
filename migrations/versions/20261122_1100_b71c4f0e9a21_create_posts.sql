-- revision: b71c4f0e9a21
-- down_revision: 9c0de4ab12ff
-- message: create posts
-- create_date: 2026-11-22T11:00:00Z

-- upgrade
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT ''
);
CREATE INDEX posts_user_id ON posts (user_id);

-- downgrade
DROP TABLE posts;
