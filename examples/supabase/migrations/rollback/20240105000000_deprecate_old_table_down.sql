ALTER TABLE old_table_deprecated RENAME TO old_table;
