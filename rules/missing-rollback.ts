import { basename, dirname, relative } from 'node:path';
import { defineRule, undoStatement, v } from '../src/api.js';
import { inTransaction } from './support/rollback.js';

export default defineRule({
  id: 'missing-rollback',
  meta: {
    description: 'A migration has no rollback file where its layout expects one.',
    severity: 'warn',
    preset: 'recommended',
    category: 'rollback',
    hazard: [
      'When a deploy goes wrong, the rollback script is how the schema goes back to what the previous',
      'application version expects. Writing it during an incident is how incidents get longer. The supabase',
      'layout keeps one rollback per migration: `supabase/migrations/rollback/<name>_down.sql`; golang-migrate',
      'pairs `<version>_<name>.up.sql` with `.down.sql`, Diesel `up.sql` with `down.sql`, Flyway `V<version>__`',
      'with its undo `U<version>__`, Sqitch `deploy/` with `revert/`, and dbmate expects statements under',
      '`-- migrate:down`. Prisma, plain folders and Flyway\'s repeatable migrations expect none. The help drafts',
      'the rollback from what the migration does, newest change first.',
      '',
      'A project that keeps no rollback at all (many teams roll forward and restore backups instead) gets one',
      'note in the report saying so, not a warning per migration; the `require` option reports every migration',
      'without one anyway.',
    ].join('\n'),
    bad: '-- supabase/migrations/20231223_001_add_rls_policies.sql with no rollback/20231223_001_add_rls_policies_down.sql',
    good: [
      '-- supabase/migrations/rollback/20231223_001_add_rls_policies_down.sql',
      'DROP POLICY IF EXISTS "agents_read_own" ON agents;',
      'DROP POLICY IF EXISTS "agents_write_own" ON agents;',
      'ALTER TABLE agents DISABLE ROW LEVEL SECURITY;',
    ].join('\n'),
    options: v.object({
      require: v.optional(
        v.pipe(
          v.boolean(),
          v.description('Report every migration without a rollback, also in a project that keeps none (by default such a project gets one note instead).'),
        ),
        false,
      ),
    }),
  },
  create(context) {
    const { migration, part } = context.file;
    const expected = migration.expectedRollbackPath;
    if (part !== 'up' || expected === undefined || migration.rollbackPath !== undefined) return {};
    const { project } = context.file;
    if (!project.keepsRollbacks && !context.options.require) {
      context.note(`This ${migration.layout} project keeps no rollbacks (none of its migrations has one), so missing-rollback reports none; set "missing-rollback": ["warn", { "require": true }] to report each migration without one.`);
      return {};
    }
    const undo: string[] = [];
    // A tool that sends the migration as one query string (one implicit transaction) sends its rollback so too.
    const wrapped = context.file.transactionMode === 'query-string';
    return {
      Statement(node, statement) {
        const sql = undoStatement(node, statement.schema);
        if (sql !== undefined) undo.unshift(wrapped ? inTransaction(sql) : sql);
      },
      'File:exit'() {
        const statements = undo.length > 0 ? undo : ['-- Undo each change of the migration, newest first.'];
        const marker = migration.rollbackMarker;
        if (marker !== undefined) {
          context.report({
            message: `This migration has no rollback: the ${migration.layout} layout expects it under \`${marker}\` in this file, and that section has no statements.`,
            help: [marker, ...statements].join('\n'),
          });
          return;
        }
        const where = relative(dirname(migration.path), expected);
        const draft = [`-- Rollback: ${basename(migration.path)}`, ...statements].join('\n');
        context.report({
          message: `This migration has no rollback: the ${migration.layout} layout expects ${where}, and there is none.`,
          help: `-- ${where}\n${draft}`,
          // The draft needs a person's eye (a dropped column's data cannot come back): an editor offers it, --fix never writes it.
          suggestions: [{ title: `Create ${where} from the draft`, edits: [], createFile: { path: expected, text: `${draft}\n` } }],
        });
      },
    };
  },
});
