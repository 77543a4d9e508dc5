import type { ReportDescriptor, StatementContext } from '../../src/api.js';

/**
 * Reports held until their transaction ends, so that a later statement of the same transaction can
 * withdraw them (the index goes with its table, a new object takes the renamed one's name). Outside
 * a transaction block a report goes out at once. Call `next` first for every statement, and `flush`
 * at the end of the file.
 */
export class ReportsUntilCommit<Held extends object> {
  private held: (Held & { readonly statement: StatementContext; readonly report: ReportDescriptor })[] = [];
  private transaction: number | undefined;

  /** The reports of a transaction that ended before this statement go out; true when one did end. */
  next(statement: StatementContext): boolean {
    const ended = statement.transaction.id !== this.transaction || !statement.transaction.inBlock;
    if (ended) this.flush();
    this.transaction = statement.transaction.id;
    return ended;
  }

  hold(statement: StatementContext, report: ReportDescriptor, held: Held): void {
    if (statement.transaction.inBlock) this.held.push({ ...held, statement, report });
    else statement.report(report);
  }

  /** A held report's data, while its transaction lasts. */
  find(matches: (held: Held) => boolean): Held | undefined {
    return this.held.find(matches);
  }

  /** Drops the held reports a later statement made untrue. */
  withdraw(untrue: (held: Held) => boolean): void {
    this.held = this.held.filter((held) => !untrue(held));
  }

  readonly flush = (): void => {
    for (const { statement, report } of this.held) statement.report(report);
    this.held = [];
  };
}
