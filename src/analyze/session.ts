import type { Node } from '@pgsql/types';
import { constantText, nodeOf, stringsOf, unwrap } from './ast.js';
import type { LockAcquisition } from './classify.js';
import { type ExecutionPlan, type ExecutionUnit, STATEMENT_BY_STATEMENT } from './transaction-model.js';

/** The transaction a statement runs in. */
export interface TransactionInfo {
  /** Unique within a run: two statements share it only when they commit together. */
  readonly id: number;
  /** Inside a transaction block: after an explicit BEGIN, or anywhere in a file the migration tool wraps in one. */
  readonly inBlock: boolean;
  /** The block was opened by BEGIN / START TRANSACTION in the file itself. */
  readonly explicit: boolean;
  /**
   * When the block is the migration tool's, not the file's own: how the tool runs the file, in
   * words for a finding ("dbmate runs each migration in one transaction (...)"). Undefined otherwise.
   */
  readonly wrapper: string | undefined;
  /** Locks taken by earlier statements of the same block: they are held until it ends. */
  readonly heldLocks: readonly LockAcquisition[];
}

const NO_LOCKS: readonly LockAcquisition[] = [];

/** Why the statements of a DO block (or of a function) outside a transaction block share one transaction. */
const OWN_TRANSACTION = 'a DO block, like any function, runs all its statements in the one transaction of the statement that runs it';

/**
 * The transaction of one statement. The statements of a block share the block's growing list of
 * locks, and each copies the part taken before it only when asked: a copy per statement would make
 * a long block (a schema dump the tool runs in one transaction) quadratic.
 */
class StatementTransaction implements TransactionInfo {
  readonly id: number;
  readonly inBlock: boolean;
  readonly explicit: boolean;
  readonly wrapper: string | undefined;
  readonly #blockLocks: readonly LockAcquisition[];
  readonly #heldCount: number;
  #held: readonly LockAcquisition[] | undefined;

  constructor(id: number, inBlock: boolean, explicit: boolean, wrapper: string | undefined, blockLocks: readonly LockAcquisition[]) {
    this.id = id;
    this.inBlock = inBlock;
    this.explicit = explicit;
    this.wrapper = wrapper;
    this.#blockLocks = blockLocks;
    this.#heldCount = blockLocks.length;
  }

  get heldLocks(): readonly LockAcquisition[] {
    this.#held ??= this.#heldCount === 0 ? NO_LOCKS : this.#blockLocks.slice(0, this.#heldCount);
    return this.#held;
  }
}

/** A setting's value as the file left it. */
export interface SettingValue {
  readonly text: string;
  /** For durations: milliseconds; 0 means no limit. */
  readonly milliseconds: number | undefined;
  /** SET LOCAL: ends with the transaction. */
  readonly local: boolean;
}

export interface SessionSettings {
  readonly lockTimeout: SettingValue | undefined;
  readonly statementTimeout: SettingValue | undefined;
  readonly searchPath: SettingValue | undefined;
  readonly timeZone: SettingValue | undefined;
}

type SettingName = keyof SessionSettings;

const TRACKED_SETTINGS: Readonly<Record<string, SettingName>> = {
  lock_timeout: 'lockTimeout',
  statement_timeout: 'statementTimeout',
  search_path: 'searchPath',
  timezone: 'timeZone',
};

const NO_SETTINGS: SessionSettings = { lockTimeout: undefined, statementTimeout: undefined, searchPath: undefined, timeZone: undefined };

/**
 * Follows a file's transactions and settings statement by statement, as PostgreSQL would when the
 * migration tool sends them as its plan says (src/analyze/transaction-model.ts): the tool's BEGIN
 * before each of its blocks and COMMIT after, the file's own BEGIN, COMMIT and ROLLBACK, SET for
 * the session, SET LOCAL until the transaction ends, ROLLBACK undoing both.
 */
export class SessionTracker {
  private inBlock = false;
  private explicit = false;
  private transactionId: number;
  /** The locks taken so far in the current block; a new array for each block, only added to while the block lasts. */
  private heldLocks: LockAcquisition[] = [];
  /** What a session starts with (and RESET returns to): the configured time zone. */
  private readonly initial: SessionSettings;
  private settings: SessionSettings;
  private settingsAtBlockStart: SessionSettings;
  private readonly newTransactionId: () => number;
  private readonly plan: ExecutionPlan;
  private unitIndex = -1;
  private statementIndex = 0;
  /** Outside a block: the locks taken so far by the statements a DO block or function runs, held until it ends. */
  private nestedLocks: LockAcquisition[] = [];

  /**
   * `plan`: how the migration tool sends the file's statements (`true`/`false`: the whole file in one
   * block, or none); `timeZone`: the TimeZone the tool's session starts with, when known (the server's default).
   */
  constructor(newTransactionId: () => number, plan: ExecutionPlan | boolean, timeZone?: string) {
    this.newTransactionId = newTransactionId;
    this.initial = timeZone === undefined ? NO_SETTINGS : { ...NO_SETTINGS, timeZone: { text: timeZone, milliseconds: undefined, local: false } };
    this.settings = this.initial;
    this.settingsAtBlockStart = this.initial;
    this.plan = typeof plan === 'boolean' ? { policy: STATEMENT_BY_STATEMENT, units: [{ kind: plan ? 'block' : 'each', start: 0, end: Number.MAX_SAFE_INTEGER }] } : plan;
    this.transactionId = newTransactionId();
  }

  /** The transaction and settings in force for this statement. */
  enter(node: Node): { transaction: TransactionInfo; settings: SessionSettings } {
    this.followPlan(this.statementIndex++);
    const kind = nodeOf(node, 'TransactionStmt')?.kind;
    const begins = kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START';
    if (begins && !this.inBlock) {
      this.startBlock(true);
    } else if (begins && !this.explicit && this.unit?.kind === 'query-string') {
      // BEGIN turns a query string's implicit block into a regular one, statements before it included.
      this.explicit = true;
    } else if (!this.inBlock) {
      this.transactionId = this.newTransactionId();
      this.heldLocks = [];
    }
    const wrapper = this.inBlock && !this.explicit ? this.plan.policy.reason : undefined;
    this.nestedLocks = [];
    return {
      transaction: new StatementTransaction(this.transactionId, this.inBlock, this.explicit, wrapper, this.heldLocks),
      settings: this.settings,
    };
  }

  /**
   * The transaction of a statement that the statement just left runs (a DO block's body, a function
   * it calls): the same transaction, which lasts at least until that statement ends, so the locks
   * each of them takes are held for the ones after it.
   */
  enterNested(): { transaction: TransactionInfo; settings: SessionSettings } {
    const wrapper = this.inBlock ? (this.explicit ? undefined : this.plan.policy.reason) : OWN_TRANSACTION;
    const locks = this.inBlock ? this.heldLocks : this.nestedLocks;
    return { transaction: new StatementTransaction(this.transactionId, true, this.explicit, wrapper, locks), settings: this.settings };
  }

  /** Records what a nested statement changed: its locks, settings. */
  leaveNested(node: Node, locks: readonly LockAcquisition[]): void {
    (this.inBlock ? this.heldLocks : this.nestedLocks).push(...locks);
    const [type, fields] = unwrap(node);
    if (type === 'VariableSetStmt') this.applySet(fields);
    else if (type === 'SelectStmt') this.applySetConfigCalls(node);
  }

  private get unit(): ExecutionUnit | undefined {
    return this.plan.units[this.unitIndex];
  }

  /** At the first statement of a unit: the tool commits its block, then opens the next one, or sets its settings for statements run on their own. */
  private followPlan(index: number): void {
    const current = this.unit;
    if (current && index < current.end) return;
    if (current && current.kind !== 'each' && this.inBlock && !this.explicit) this.endBlock(false);
    this.unitIndex = this.plan.units.findIndex((unit) => index >= unit.start && index < unit.end);
    const next = this.unit;
    if (!next) return;
    if (next.kind !== 'each') this.startBlock(false);
    const toolSettings = this.plan.policy.settings;
    if (toolSettings && next.kind !== 'query-string') {
      this.set('lockTimeout', toolSettings.lockTimeout, next.kind === 'block');
      this.set('statementTimeout', toolSettings.statementTimeout, next.kind === 'block');
    }
  }

  /** Records what the statement changed: its locks, the transaction's end, settings. */
  leave(node: Node, locks: readonly LockAcquisition[]): void {
    if (this.inBlock) this.heldLocks.push(...locks);
    const [type, fields] = unwrap(node);
    if (type === 'TransactionStmt') this.endBlockIfFinished(fields.kind as string | undefined, fields.chain === true);
    else if (type === 'VariableSetStmt') this.applySet(fields);
    else if (type === 'SelectStmt') this.applySetConfigCalls(node);
  }

  private startBlock(explicit: boolean): void {
    this.inBlock = true;
    this.explicit = explicit;
    this.transactionId = this.newTransactionId();
    this.heldLocks = [];
    this.settingsAtBlockStart = this.settings;
  }

  private endBlockIfFinished(kind: string | undefined, chain: boolean): void {
    const commit = kind === 'TRANS_STMT_COMMIT';
    const rollback = kind === 'TRANS_STMT_ROLLBACK';
    if ((!commit && !rollback) || !this.inBlock) return;
    if (chain) {
      this.settings = withoutLocalSettings(rollback ? this.settingsAtBlockStart : this.settings, this.settingsAtBlockStart);
      this.startBlock(this.explicit);
      return;
    }
    this.endBlock(rollback);
    // The rest of a query string runs in a new implicit block.
    if (this.unit?.kind === 'query-string') this.startBlock(false);
  }

  private endBlock(rollback: boolean): void {
    this.settings = withoutLocalSettings(rollback ? this.settingsAtBlockStart : this.settings, this.settingsAtBlockStart);
    this.inBlock = false;
    this.explicit = false;
    this.heldLocks = [];
  }

  private applySet(fields: VariableSet): void {
    if (fields.kind === 'VAR_RESET_ALL') {
      this.settings = this.initial;
      return;
    }
    const name = fields.name === undefined ? undefined : TRACKED_SETTINGS[fields.name.toLowerCase()];
    if (!name) return;
    if (fields.kind === 'VAR_SET_VALUE') {
      const text = (fields.args ?? []).map((arg) => settingArgumentText(arg)).join(', ');
      this.set(name, text, fields.is_local === true);
    } else if (fields.kind === 'VAR_SET_DEFAULT' || fields.kind === 'VAR_RESET') {
      this.settings = { ...this.settings, [name]: this.initial[name] };
    }
  }

  /** `SELECT set_config('lock_timeout', '5s', true)` is SET written as a function call. */
  private applySetConfigCalls(node: Node): void {
    const targets = nodeOf(node, 'SelectStmt')?.targetList ?? [];
    for (const target of targets) {
      const call = nodeOf(nodeOf(target, 'ResTarget')?.val, 'FuncCall');
      if (stringsOf(call?.funcname).at(-1) !== 'set_config') continue;
      const [settingArg, valueArg, localArg] = call?.args ?? [];
      const settingName = nodeOf(settingArg, 'A_Const')?.sval?.sval;
      const name = settingName === undefined ? undefined : TRACKED_SETTINGS[settingName.toLowerCase()];
      const value = nodeOf(valueArg, 'A_Const')?.sval?.sval;
      if (name && value !== undefined) this.set(name, value, nodeOf(localArg, 'A_Const')?.boolval?.boolval === true);
    }
  }

  private set(name: SettingName, text: string, local: boolean): void {
    // SET LOCAL outside a transaction block has no effect (PostgreSQL only warns).
    if (local && !this.inBlock) return;
    const milliseconds = name === 'lockTimeout' || name === 'statementTimeout' ? parseDuration(text) : undefined;
    this.settings = { ...this.settings, [name]: { text, milliseconds, local } };
  }
}

interface VariableSet {
  readonly kind?: string;
  readonly name?: string;
  readonly args?: Node[];
  readonly is_local?: boolean;
}

/** The settings after the block ends: each SET LOCAL gives way to the value the block started with. */
function withoutLocalSettings(settings: SessionSettings, atBlockStart: SessionSettings): SessionSettings {
  const kept = (name: SettingName): SettingValue | undefined => {
    const value = settings[name];
    const before = atBlockStart[name];
    return value?.local ? (before?.local ? undefined : before) : value;
  };
  return { lockTimeout: kept('lockTimeout'), statementTimeout: kept('statementTimeout'), searchPath: kept('searchPath'), timeZone: kept('timeZone') };
}

function settingArgumentText(arg: Node): string {
  // SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE
  const constant = nodeOf(nodeOf(arg, 'TypeCast')?.arg ?? arg, 'A_Const');
  if (constant?.sval) return constant.sval.sval ?? '';
  return constantText(constant) ?? '';
}

const UNIT_MILLISECONDS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A PostgreSQL duration setting (`'5s'`, `'1min'`, `500`) in milliseconds; a bare number means milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms').toLowerCase();
  return Number(match[1]) * (UNIT_MILLISECONDS[unit] ?? 1);
}

/** Zone names without any offset from UTC, ever: `UTC`, `Etc/UTC`, `GMT`, `Zulu`, ... */
const ZERO_OFFSET_ZONE = /^(?:posix\/)?(?:etc\/)?(?:utc|uct|gmt|gmt0|gmt[+-]0|greenwich|universal|zulu)$/i;
/** Offsets of zero, as a number, an interval or a POSIX zone: `0`, `+00:00`, `UTC0`, `UTC+0`. */
const ZERO_OFFSET = /^(?:[a-z]{3,}\s*)?[+-]?0+(?::0+){0,2}$/i;

/**
 * Whether the session's TimeZone has no offset from UTC, which makes timestamp to timestamptz (and
 * back) free on PostgreSQL 12+: checked on a real server, Europe/London and Africa/Abidjan are not.
 */
export function timeZoneIsUtc(settings: SessionSettings): boolean {
  const zone = settings.timeZone?.text.trim() ?? '';
  return ZERO_OFFSET_ZONE.test(zone) || ZERO_OFFSET.test(zone);
}

/** The schemas a search_path setting lists, in order, unquoted (undefined while it is not set). */
export function searchPathSchemas(settings: SessionSettings): string[] | undefined {
  return settings.searchPath?.text.split(',').map((part) => part.trim().replace(/^"(.*)"$/, '$1'));
}

/** The first schema of a search_path setting: where unqualified names are created. */
export function defaultSchemaOf(settings: SessionSettings): string {
  const first = searchPathSchemas(settings)?.[0];
  return first === undefined || first === '' || first === '$user' ? 'public' : first;
}
