import { type Fix, type QualifiedName, type StatementContext, defineRule, displayName, namesOfObjects, quoteIdentifier } from '../src/api.js';
import { statementFix } from './support/fixes.js';
import { deprecateThenDrop } from './support/help.js';
import { isOwnCreation } from './support/objects.js';

export default defineRule({
  id: 'drop-table-without-deprecation',
  meta: {
    description: 'DROP TABLE is allowed only for a table created in the same migration, or renamed to its deprecation name in an earlier one.',
    severity: 'error',
    preset: 'recommended',
    category: 'breaking-change',
    hazard: [
      'DROP TABLE deletes the table and its data at once: queries of the running application against it fail,',
      'and no rollback script brings the rows back. The safe path is two migrations apart: first',
      'rename the table to `<name>_deprecated` (code still using it fails loudly, but the data is kept and a',
      'rollback is a rename), wait a monitoring period, then drop the deprecated table in a separate migration.',
      '',
      'Not reported: dropping a table created earlier in the same migration, dropping `<name>_deprecated` when an',
      'earlier migration renamed it, and a rollback dropping what its own migration created. The suffix is',
      'the `deprecatedSuffix` setting.',
    ].join('\n'),
    bad: 'DROP TABLE old_table;',
    good: [
      '-- Migration 1: rename (keeps the data for a rollback)',
      'ALTER TABLE old_table RENAME TO old_table_deprecated;',
      '-- Migration 2, after a monitoring period (1 week):',
      'DROP TABLE IF EXISTS old_table_deprecated;',
    ].join('\n'),
  },
  create(context) {
    return {
      DropStmt(node, statement) {
        if (node.removeType !== 'OBJECT_TABLE') return;
        const names = namesOfObjects(node.objects);
        for (const name of names) {
          const message = problemWith(name, statement, context.deprecatedSuffix);
          if (message === undefined) continue;
          // Renaming instead keeps the data; only a DROP of this one table can simply become the rename.
          const suggestions = names.length === 1 && !name.name.endsWith(context.deprecatedSuffix) ? [renameInstead(statement, name, node.missing_ok === true, context.deprecatedSuffix)] : [];
          // Already under its deprecation name: a rename to it would fail (the name is taken), and the table it came from is unknown.
          const unproven = name.name.endsWith(context.deprecatedSuffix) && statement.schema.table(name)?.renamedFrom === undefined;
          statement.report({ message, help: unproven ? dropAfterOutsideRename(name) : deprecateThenDrop(name, context.deprecatedSuffix), suggestions });
        }
      },
    };
  },
});

/** A table that already has its deprecation name, renamed outside the migrations: the drop stays, with the reason beside it. */
function dropAfterOutsideRename(name: QualifiedName): string {
  return [
    `-- If ${displayName(name)} was renamed outside the migrations and no code has used it for a monitoring period, say so where it is dropped:`,
    '-- migrate-safe-ignore drop-table-without-deprecation: renamed on <date>, unused since',
    `DROP TABLE IF EXISTS ${displayName(name)};`,
  ].join('\n');
}

/** Why dropping this table is unsafe, or undefined when it is one of the safe cases. */
function problemWith(name: QualifiedName, statement: StatementContext, suffix: string): string | undefined {
  const table = statement.schema.table(name);
  if (isOwnCreation(statement, table?.origin)) return undefined;
  const shown = displayName(name);
  if (!name.name.endsWith(suffix)) {
    return `DROP TABLE ${shown} deletes the table and its data at once: the running application's queries against it fail, and no rollback brings the rows back.`;
  }
  const rename = table?.renamedFrom;
  if (!rename) {
    return `DROP TABLE ${shown}: no earlier migration renamed a table to ${shown}, so nothing shows it went through a monitoring period. If it was renamed outside the migrations, silence this with a directive and the reason.`;
  }
  if (rename.origin.migration === statement.file.migration.id) {
    return `DROP TABLE ${shown} in the same migration that renamed ${quoteIdentifier(rename.name)} to it: the rename keeps the data for a rollback only if the drop waits for a later migration, after a monitoring period.`;
  }
  if (statement.schema.isSameDeploy(rename.origin)) {
    return `DROP TABLE ${shown} in the same deploy that renamed ${quoteIdentifier(rename.name)} to it (migration ${rename.origin.migration}): the rename keeps the data for a rollback only if the drop waits for a later deploy, after a monitoring period.`;
  }
  return undefined;
}

function renameInstead(statement: StatementContext, name: QualifiedName, ifExists: boolean, suffix: string): Fix {
  const deprecated = quoteIdentifier(`${name.name}${suffix}`);
  const rename = `ALTER TABLE ${ifExists ? 'IF EXISTS ' : ''}${displayName(name)} RENAME TO ${deprecated}`;
  return statementFix(statement, `Rename ${displayName(name)} to ${deprecated} instead (drop it in a later migration)`, [{ start: 0, end: statement.statement.text.length, text: rename }]);
}
