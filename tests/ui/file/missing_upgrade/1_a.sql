-- revision: aaaa0001
-- down_revision:

CREATE TABLE t (id INTEGER);
