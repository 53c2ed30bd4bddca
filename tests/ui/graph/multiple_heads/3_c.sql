-- revision: cccc0003
-- down_revision: aaaa0001
-- message: cccc0003

-- upgrade
CREATE TABLE t_cccc0003 (id INTEGER);

-- downgrade
DROP TABLE t_cccc0003;
