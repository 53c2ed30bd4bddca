-- revision: aaaa0001
-- down_revision:

-- Upgrade
SELECT 1;
