-- revision: aaaa0001
-- down_revision: aaaa0001
-- message: aaaa0001

-- upgrade
CREATE TABLE t_aaaa0001 (id INTEGER);

-- downgrade
DROP TABLE t_aaaa0001;
