-- revision: a
-- down_revision:

-- upgrade
CREATE TABLE a (id INTEGER);
