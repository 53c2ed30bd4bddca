-- revision: a1b2c3d4e5f6
-- down_revision: 
-- message: a1b2c3d4e5f6

-- upgrade
CREATE TABLE t_a1b2c3d4e5f6 (id INTEGER);

-- downgrade
DROP TABLE t_a1b2c3d4e5f6;
