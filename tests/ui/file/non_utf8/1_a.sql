-- revision: aaaa0001
-- down_revision:
-- message: café

-- upgrade
SELECT 1;
