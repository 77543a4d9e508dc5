-- Immediate rename breaks running queries
ALTER TABLE agents RENAME COLUMN old_name TO new_name;
