-- revision: aaaa0001
-- down_revision aaaa0000

-- upgrade
SELECT 1;
