-- revision: a1b2c3d4e5f6
-- down_revision:
-- message: base

-- upgrade
CREATE TABLE users (id INTEGER PRIMARY KEY);

-- upgrade analytics
CREATE TABLE events (id INTEGER PRIMARY KEY);
