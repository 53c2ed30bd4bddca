-- revision: 9c0de4ab12ff
-- down_revision: 
-- message: 9c0de4ab12ff

-- upgrade
CREATE TABLE t_9c0de4ab12ff (id INTEGER);

-- downgrade
DROP TABLE t_9c0de4ab12ff;
