-- Locks table during index creation
CREATE INDEX idx_agents_status ON agents(status);
