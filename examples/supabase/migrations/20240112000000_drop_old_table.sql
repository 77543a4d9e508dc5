-- Step 3, a week later: drop in a separate migration
DROP TABLE IF EXISTS old_table_deprecated;
