ALTER TABLE agents RENAME COLUMN new_name TO old_name;
