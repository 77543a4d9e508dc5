import { displayName } from '../analyze/ast.js';
import type { LockAcquisition } from '../analyze/classify.js';
import type { StatementAnalysis } from '../analyze/index.js';
import type { StatementForm } from '../analyze/lock-facts.js';
import { describeImpact, lockStrength } from '../analyze/lock-modes.js';

const ROLE_NOTE: Readonly<Record<LockAcquisition['role'], string>> = {
  table: '',
  'other-table': ' (referenced)',
  index: ' (the index)',
};

/**
 * What a statement does to the running database, from the lock knowledge table, in Markdown:
 * for each statement form, the locks it takes on which relations, what each blocks, whether
 * it rewrites or scans the table; then the transaction that holds them and the lock_timeout in
 * force. Facts are for the PostgreSQL version the project runs on.
 */
export function statementLocks(analysis: StatementAnalysis, pgVersion: number): string {
  const { locks, transaction, settings } = analysis;
  const sections = [`**Locks** · PostgreSQL ${pgVersion}`];
  if (locks.length === 0) {
    sections.push('The lock table lists no lock on an existing table for this statement.');
    return sections.join('\n\n');
  }
  for (const [form, acquisitions] of groupByForm(locks)) sections.push(formSection(form, acquisitions, pgVersion));
  const context: string[] = [];
  if (transaction.inBlock) {
    const held = strongestPerRelation(transaction.heldLocks);
    context.push(
      held.length === 0
        ? 'In a transaction block: these locks are held until it ends.'
        : `In a transaction block: these locks are held until it ends, with those taken before it: ${held.map((lock) => `${lock.mode} on \`${displayName(lock.relation)}\``).join(', ')}.`,
    );
    if ([...locks].some((lock) => lock.form.notInTransaction)) context.push('⚠ PostgreSQL refuses to run this statement inside a transaction block.');
  }
  context.push(
    settings.lockTimeout
      ? `lock_timeout: ${settings.lockTimeout.text}.`
      : 'No lock_timeout: while it waits for a lock, every later query on the table queues behind it.',
  );
  sections.push(context.join('  \n'));
  return sections.join('\n\n');
}

function formSection(form: StatementForm, acquisitions: readonly LockAcquisition[], pgVersion: number): string {
  const lines = [`**${form.title}**`];
  for (const lock of acquisitions) {
    lines.push(`- \`${lock.mode}\` on \`${displayName(lock.relation)}\`${ROLE_NOTE[lock.role]}: ${describeImpact(lock.mode)}${lock.role === 'table' ? effectText(lock) : ''}`);
  }
  const notes: string[] = [];
  if (form.since !== undefined && pgVersion < form.since) notes.push(`Needs PostgreSQL ${form.since} or later.`);
  if (form.olderVersions) {
    const { before, note } = form.olderVersions;
    notes.push(pgVersion < before ? `On PostgreSQL ${pgVersion}: ${note}.` : `Before PostgreSQL ${before}: ${note}.`);
  }
  if (notes.length > 0) lines.push('', `_${notes.join(' ')}_`);
  return lines.join('\n');
}

/** "; **rewrites** the table: the table and all its indexes are rewritten". */
function effectText(lock: LockAcquisition): string {
  // The form's note explains its usual effect; where an older version differs, the version note explains instead.
  const note = lock.effect === lock.form.effect ? lock.form.effectNote : undefined;
  const detail = note ? `: ${note}` : '';
  if (lock.effect === 'rewrite') return `; **rewrites** the table${detail}`;
  if (lock.effect === 'scan') return `; **scans** the table${detail}`;
  return `; no rewrite, no scan${detail}`;
}

function groupByForm(locks: readonly LockAcquisition[]): Map<StatementForm, LockAcquisition[]> {
  const groups = new Map<StatementForm, LockAcquisition[]>();
  for (const lock of locks) groups.set(lock.form, [...(groups.get(lock.form) ?? []), lock]);
  return groups;
}

function strongestPerRelation(locks: readonly LockAcquisition[]): LockAcquisition[] {
  const strongest = new Map<string, LockAcquisition>();
  for (const lock of locks) {
    const current = strongest.get(lock.key);
    if (!current || lockStrength(lock.mode) > lockStrength(current.mode)) strongest.set(lock.key, lock);
  }
  return [...strongest.values()];
}
