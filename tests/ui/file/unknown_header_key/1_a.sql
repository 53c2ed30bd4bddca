-- revision: aaaa0001
-- down_revison:

-- upgrade
SELECT 1;
