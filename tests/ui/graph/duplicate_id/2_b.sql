-- revision: b2c3d4e5f6a1
-- down_revision: a1b2c3d4e5f6
-- message: b2c3d4e5f6a1

-- upgrade
CREATE TABLE t_b2c3d4e5f6a1 (id INTEGER);

-- downgrade
DROP TABLE t_b2c3d4e5f6a1;
