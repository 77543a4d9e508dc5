-- A new table: indexing it without CONCURRENTLY is fine, nobody uses it yet.
CREATE TABLE agents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL,
    old_name varchar(255),
    status text NOT NULL DEFAULT 'active',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_agents_user ON agents (user_id);
ALTER TABLE agents ENABLE ROW LEVEL SECURITY;

CREATE TABLE old_table (id bigint PRIMARY KEY, payload jsonb);
ALTER TABLE old_table ENABLE ROW LEVEL SECURITY;
