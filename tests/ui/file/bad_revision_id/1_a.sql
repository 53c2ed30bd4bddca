-- revision: add-users
-- down_revision:

-- upgrade
SELECT 1;
