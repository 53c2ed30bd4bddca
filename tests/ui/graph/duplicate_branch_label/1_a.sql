-- revision: aaaa0001
-- down_revision: 
-- branch_labels: feature
-- message: aaaa0001

-- upgrade
CREATE TABLE t_aaaa0001 (id INTEGER);

-- downgrade
DROP TABLE t_aaaa0001;
