-- revision: 3f2a9c1b7d4e
-- down_revision: 9c0de4ab12ff
-- depends_on: 9c0de4ab12f0
-- message: 3f2a9c1b7d4e

-- upgrade
CREATE TABLE t_3f2a9c1b7d4e (id INTEGER);

-- downgrade
DROP TABLE t_3f2a9c1b7d4e;
