-- revision: 9c0de4ab12ff
-- down_revision: 3f2a9c1b7d4e
-- message: add user email
-- create_date: 2026-11-22T10:45:00Z

-- upgrade
ALTER TABLE users ADD COLUMN email TEXT;
CREATE UNIQUE INDEX users_email ON users (email);

-- downgrade
DROP INDEX users_email;
ALTER TABLE users DROP COLUMN email;
