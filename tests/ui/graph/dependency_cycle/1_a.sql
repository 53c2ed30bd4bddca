-- revision: aaaa0001
-- down_revision: 
-- depends_on: bbbb0002
-- message: aaaa0001

-- upgrade
CREATE TABLE t_aaaa0001 (id INTEGER);

-- downgrade
DROP TABLE t_aaaa0001;
