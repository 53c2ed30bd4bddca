-- revision: aaaa0001
-- down_revision:
-- transactional: no

-- upgrade
SELECT 1;
