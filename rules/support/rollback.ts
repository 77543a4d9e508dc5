const CONCURRENT_INDEX = /^(CREATE (?:UNIQUE )?INDEX|DROP INDEX) CONCURRENTLY (IF EXISTS )?(\S+)(.*)$/s;

/**
 * An undo statement as a rollback run in one transaction needs it: PostgreSQL refuses CREATE and
 * DROP INDEX CONCURRENTLY there, so they take the plain form, with a directive saying why.
 */
export function inTransaction(undo: string): string {
  return undo.split('\n').map(lineInTransaction).join('\n');
}

function lineInTransaction(undo: string): string {
  const match = CONCURRENT_INDEX.exec(undo);
  if (!match) return undo;
  const [, verb = '', ifExists = '', index = '', rest = ''] = match;
  const creates = verb.startsWith('CREATE');
  const directive = creates
    ? `-- migrate-safe-ignore require-concurrent-index: this rollback runs in one transaction, where CONCURRENTLY is refused; writes to the table wait while ${index} builds`
    : `-- migrate-safe-ignore require-concurrent-index-drop: this rollback runs in one transaction, where CONCURRENTLY is refused; ${index.replace(/;$/, '')} goes under a brief lock`;
  return [directive, `${verb} ${ifExists}${index}${rest}`].join('\n');
}
