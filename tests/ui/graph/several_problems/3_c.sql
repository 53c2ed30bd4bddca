-- revision: cccc0003
-- down_revision: bbbb0002
-- depends_on: nowhere
-- message: cccc0003

-- upgrade
CREATE TABLE t_cccc0003 (id INTEGER);

-- downgrade
DROP TABLE t_cccc0003;
