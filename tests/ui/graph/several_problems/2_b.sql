-- revision: bbbb0002
-- down_revision: aaaa0009
-- message: bbbb0002

-- upgrade
CREATE TABLE t_bbbb0002 (id INTEGER);

-- downgrade
DROP TABLE t_bbbb0002;
