-- Locks table, can cause downtime (and has no rollback script)
ALTER TABLE agents ADD COLUMN new_field VARCHAR(255) NOT NULL;
