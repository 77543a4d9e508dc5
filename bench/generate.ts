import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CorpusShape {
  readonly files: number;
  readonly statements: number;
}

/**
 * The statement mix of a real project's history: tables with RLS and policies, concurrent
 * indexes, NOT VALID constraints validated later, plpgsql functions and triggers, batched
 * backfills, and now and then an unsafe statement, so rules have something to report.
 * `table` is this entity's table, `previous` one created by an earlier migration.
 */
const TEMPLATES: readonly ((table: string, previous: string, n: number) => string)[] = [
  (t) =>
    `CREATE TABLE IF NOT EXISTS ${t} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  account_id bigint NOT NULL,\n  status text NOT NULL DEFAULT 'new',\n  payload jsonb,\n  created_at timestamptz NOT NULL DEFAULT now(),\n  updated_at timestamptz\n);`,
  (t) => `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;`,
  (t) => `CREATE POLICY "${t}_read_own" ON ${t} FOR SELECT USING (account_id = (SELECT auth_account_id()));`,
  (_t, p, n) => `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${p}_status_${n}_idx ON ${p} (status) WHERE status <> 'done';`,
  (_t, p, n) => `ALTER TABLE ${p} ADD COLUMN IF NOT EXISTS note_${n} text;`,
  (_t, p, n) => `ALTER TABLE ${p} ADD CONSTRAINT ${p}_account_fk_${n} FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;`,
  (_t, p, n) => `ALTER TABLE ${p} VALIDATE CONSTRAINT ${p}_account_fk_${n};`,
  (t) =>
    `CREATE OR REPLACE FUNCTION ${t}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  IF NEW.status = 'done' THEN\n    NEW.payload := coalesce(NEW.payload, '{}'::jsonb) || jsonb_build_object('closed', true);\n  END IF;\n  RETURN NEW;\nEND;\n$$;`,
  (t) => `CREATE TRIGGER ${t}_touch BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${t}_touch();`,
  (_t, p) => `UPDATE ${p} SET status = 'active'\nWHERE id IN (SELECT id FROM ${p} WHERE status = 'new' LIMIT 5000);`,
  (_t, p, n) => `COMMENT ON COLUMN ${p}.note_${n} IS 'free text note';`,
  (t, _p, n) => `INSERT INTO ${t} (account_id, status) VALUES (${n}, 'new');`,
  (_t, p, n) => `CREATE INDEX ${p}_created_${n}_idx ON ${p} (created_at);`,
  (_t, p, n) => `ALTER TABLE ${p} ADD COLUMN flag_${n} boolean NOT NULL;`,
  (_t, p, n) => `ALTER TABLE ${p} ALTER COLUMN note_${n} SET NOT NULL;`,
  (_t, p, n) => `ALTER TABLE ${p} RENAME COLUMN payload TO payload_${n};`,
  (_t, p, n) => `SELECT count(*) FROM ${p} WHERE created_at > now() - interval '${n % 30} days';`,
  (t) => `ALTER TABLE ${t} ALTER COLUMN status SET DEFAULT 'pending';`,
  (t) => `DROP POLICY IF EXISTS "${t}_read_own" ON ${t};`,
  (t) => `CREATE POLICY "${t}_read_own" ON ${t} FOR SELECT USING (account_id = (SELECT auth_account_id()));`,
];

/** Writes `files` migrations holding `statements` statements in all into `folder/migrations`, deterministically. */
export function generateCorpus(folder: string, shape: CorpusShape): string {
  const migrations = join(folder, 'migrations');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(migrations, { recursive: true });
  const perFile = Math.max(1, Math.floor(shape.statements / shape.files));
  let written = 0;
  for (let file = 0; file < shape.files; file++) {
    const count = file === shape.files - 1 ? shape.statements - written : perFile;
    const statements: string[] = [];
    for (let index = 0; index < count; index++) {
      const n = written + index;
      // Each run through the templates is one entity: its own table, and the one before it.
      const entity = Math.floor(n / TEMPLATES.length);
      const template = TEMPLATES[n % TEMPLATES.length];
      if (template) statements.push(template(`t${entity}`, `t${Math.max(0, entity - 1)}`, n));
    }
    written += count;
    const name = `${String(file + 1).padStart(6, '0')}_migration.sql`;
    writeFileSync(join(migrations, name), `-- Migration ${file + 1}\n${statements.join('\n\n')}\n`);
  }
  return migrations;
}
