-- Step 1 of dropping a table: rename it (keeps data for rollback)
ALTER TABLE old_table RENAME TO old_table_deprecated;
