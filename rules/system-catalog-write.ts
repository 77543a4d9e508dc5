import { type RangeVar, defineRule, displayName, nameOfRangeVar, unwrap } from '../src/api.js';

/** The statement that does properly what a direct edit of each catalog usually attempts. */
const INSTEAD: Readonly<Record<string, string>> = {
  pg_index: 'DROP INDEX CONCURRENTLY / CREATE INDEX CONCURRENTLY, or REINDEX INDEX CONCURRENTLY',
  pg_enum: 'ALTER TYPE ... ADD VALUE / RENAME VALUE, or a new type that the columns are converted to',
  pg_attribute: 'ALTER TABLE ... ALTER COLUMN (SET / DROP NOT NULL, TYPE, SET DEFAULT)',
  pg_constraint: 'ALTER TABLE ... DROP CONSTRAINT / ADD CONSTRAINT ... NOT VALID / VALIDATE CONSTRAINT',
  pg_class: 'ALTER TABLE (RENAME, ENABLE ROW LEVEL SECURITY, OWNER TO, SET (...))',
  pg_type: 'ALTER TYPE / ALTER DOMAIN',
  pg_proc: 'CREATE OR REPLACE FUNCTION / ALTER FUNCTION',
  pg_trigger: 'ALTER TABLE ... ENABLE / DISABLE TRIGGER',
  pg_depend: 'DROP ... CASCADE, or ALTER ... the dependent object',
};

const WRITES: Readonly<Record<string, string>> = { UpdateStmt: 'UPDATE', DeleteStmt: 'DELETE FROM', InsertStmt: 'INSERT INTO', MergeStmt: 'MERGE INTO' };

export default defineRule({
  id: 'system-catalog-write',
  meta: {
    description: 'UPDATE, DELETE or INSERT on a PostgreSQL system catalog (pg_index, pg_enum, pg_attribute ...) instead of the DDL that changes it.',
    severity: 'warn',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      'Writing a system catalog directly (`UPDATE pg_index SET indisvalid = false`, `DELETE FROM pg_enum ...`)',
      'skips everything the matching DDL does: the checks that keep the catalogs consistent with each other and',
      'with the data, the locks that keep running queries away, the invalidation that makes other sessions see',
      'the change, the dependency records. A mistake corrupts the database in ways `pg_dump` and upgrades later',
      'trip over. It also needs a superuser: managed services (Supabase, Amazon RDS, Cloud SQL) refuse it',
      '("permission denied for table pg_index", checked on a real server), so the migration fails there.',
      '',
      'Use the DDL. Writes to system catalogs are not application tables: they are not reported as backfills,',
      'and take no lock that other rules count.',
    ].join('\n'),
    bad: "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'agents_status_idx'::regclass;",
    good: ['-- In a migration of its own, run without a transaction block:', 'DROP INDEX CONCURRENTLY IF EXISTS agents_status_idx;'].join('\n'),
  },
  create() {
    return {
      Statement(node, statement) {
        const [type, fields] = unwrap(node);
        const verb = WRITES[type];
        const catalog = verb === undefined ? undefined : nameOfRangeVar(fields.relation as RangeVar | undefined);
        if (!verb || !catalog || !statement.schema.isSystemCatalog(catalog)) return;
        const instead = INSTEAD[catalog.name];
        statement.report({
          message: `${verb} ${displayName(catalog)} writes PostgreSQL's system catalog directly: it skips the checks, locks and cache invalidation of the DDL that makes this change, can leave the database inconsistent, and fails without superuser rights (as on managed services).`,
          help: `-- Make the change with DDL instead${instead === undefined ? '.' : `: ${instead}.`}`,
          lock: null,
        });
      },
    };
  },
});
