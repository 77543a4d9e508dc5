import { type Constraint, type QualifiedName, type StatementContext, defineRule, displayName, nameOfList, nodeOf, quoteIdentifier } from '../src/api.js';
import { statementFix } from './support/fixes.js';
import { migrationStep } from './support/help.js';

export default defineRule({
  id: 'domain-constraint-without-not-valid',
  meta: {
    description: 'ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID, or SET NOT NULL, reads every table that uses the domain while blocking their writes.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'A domain\'s constraint applies to every column of that domain, in every table. Adding a CHECK to the domain',
      '(`ALTER DOMAIN ... ADD CONSTRAINT`) or making it NOT NULL (`ALTER DOMAIN ... SET NOT NULL`) reads all those',
      'tables to check each value, holding a SHARE lock on each one meanwhile: every INSERT, UPDATE and DELETE on',
      'all of them waits until the last table has been read.',
      '',
      'Add the constraint `NOT VALID` instead: it is enforced at once for new and changed values, and nothing is',
      'read (no table is locked). NOT NULL has no NOT VALID form on a domain: add `CHECK (VALUE IS NOT NULL)`',
      'NOT VALID, which checks the same. `VALIDATE CONSTRAINT` in a later migration then checks the existing',
      'values; unlike a table\'s constraint, validating a domain\'s takes SHARE on the tables too, so writes wait',
      'while it reads: run it at a quiet time with a `lock_timeout`, or keep the constraint NOT VALID (new values',
      'are checked all the same).',
      '',
      'Not reported: a domain created earlier in the same migration, and a domain the history shows no table using.',
    ].join('\n'),
    bad: 'ALTER DOMAIN email_address ADD CONSTRAINT email_address_has_at CHECK (VALUE LIKE \'%@%\');',
    good: [
      '-- Migration 1: new values are checked at once; nothing is read',
      'ALTER DOMAIN email_address ADD CONSTRAINT email_address_has_at CHECK (VALUE LIKE \'%@%\') NOT VALID;',
      '-- Migration 2, at a quiet time (writes to the tables using the domain wait while it reads them):',
      "SET lock_timeout = '2s';",
      'ALTER DOMAIN email_address VALIDATE CONSTRAINT email_address_has_at;',
    ].join('\n'),
    versions: 'Checked on PostgreSQL 11 to 18: ADD CONSTRAINT, SET NOT NULL and VALIDATE CONSTRAINT on a domain all take SHARE on each table using it.',
  },
  create() {
    return {
      AlterDomainStmt(node, statement) {
        const domain = nameOfList(node.typeName);
        const check = nodeOf(node.def, 'Constraint');
        const adds = node.subtype === 'C' && check?.contype === 'CONSTR_CHECK' && check.skip_validation !== true;
        if (!domain || (!adds && node.subtype !== 'O')) return;
        const state = statement.schema.type(domain);
        if (statement.schema.isNew(state?.origin)) return;
        const tables = statement.locks.filter((lock) => lock.role === 'table' && !statement.schema.isNewTable(lock.relation));
        // A domain the history follows, used by no table that existed before this migration: nothing to read.
        if (state?.kind === 'domain' && tables.length === 0) return;
        const names = tables.map((lock) => displayName(lock.relation));
        const where = names.length === 0 ? `every table with a column of ${displayName(domain)}` : names.join(', ');
        const what = adds ? `ADD CONSTRAINT${check.conname === undefined ? '' : ` ${quoteIdentifier(check.conname)}`}` : 'SET NOT NULL';
        statement.report({
          message: `ALTER DOMAIN ${displayName(domain)} ${what} reads ${where} to check every value while holding SHARE on ${names.length === 1 ? 'it' : 'each'}: every INSERT, UPDATE and DELETE on ${names.length === 1 ? 'it' : 'them'} waits until the check finishes.`,
          help: adds ? notValidHelp(statement, check, domain) : notNullHelp(domain),
          ...(adds ? { suggestions: [statementFix(statement, 'Add NOT VALID (validate in a later migration)', [{ start: statement.statement.text.length, end: statement.statement.text.length, text: ' NOT VALID' }])] } : {}),
        });
      },
    };
  },
});

/** The statement with NOT VALID, and the constraint named as PostgreSQL names the first unnamed one, so the validation can name it. */
function notValidHelp(statement: StatementContext, check: Constraint, domain: QualifiedName): string {
  const name = check.conname ?? `${domain.name}_check`;
  const at = statement.textOffset(check.location);
  const { text } = statement.statement;
  const named = check.conname === undefined ? `${text.slice(0, at)}CONSTRAINT ${quoteIdentifier(name)} ${text.slice(at)}` : text;
  return steps(domain, `${named} NOT VALID;`, name);
}

function notNullHelp(domain: QualifiedName): string {
  const name = `${domain.name}_not_null`;
  return [
    '-- A domain has no NOT NULL ... NOT VALID: a CHECK constraint checks the same.',
    steps(domain, `ALTER DOMAIN ${displayName(domain)} ADD CONSTRAINT ${quoteIdentifier(name)} CHECK (VALUE IS NOT NULL) NOT VALID;`, name),
  ].join('\n');
}

function steps(domain: QualifiedName, add: string, constraint: string): string {
  return [
    migrationStep(1, 'new and changed values are checked at once; no table is read or locked', add),
    migrationStep(
      2,
      'check the existing values at a quiet time: writes to the tables using the domain wait while it reads them (or keep the constraint NOT VALID)',
      ["SET lock_timeout = '2s';", `ALTER DOMAIN ${displayName(domain)} VALIDATE CONSTRAINT ${quoteIdentifier(constraint)};`].join('\n'),
    ),
  ].join('\n');
}
