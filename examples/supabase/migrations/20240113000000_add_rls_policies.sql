CREATE POLICY "agents_read_own" ON agents FOR SELECT USING (auth.uid() = user_id);
CREATE POLICY "agents_write_own" ON agents FOR UPDATE USING (auth.uid() = user_id);

-- Non-blocking index creation, in a migration of its own run without a transaction
CREATE INDEX CONCURRENTLY idx_agents_created ON agents (created_at);
