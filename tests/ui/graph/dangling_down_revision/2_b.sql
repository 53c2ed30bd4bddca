-- revision: 3f2a9c1b7d4e
-- down_revision: 9c0de4ab12fe
-- message: 3f2a9c1b7d4e

-- upgrade
CREATE TABLE t_3f2a9c1b7d4e (id INTEGER);

-- downgrade
DROP TABLE t_3f2a9c1b7d4e;
