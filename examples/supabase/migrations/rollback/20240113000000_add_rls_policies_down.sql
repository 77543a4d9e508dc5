-- Rollback: 20240113000000_add_rls_policies
DROP INDEX CONCURRENTLY IF EXISTS idx_agents_created;
DROP POLICY IF EXISTS "agents_read_own" ON agents;
DROP POLICY IF EXISTS "agents_write_own" ON agents;
