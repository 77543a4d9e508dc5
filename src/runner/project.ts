import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { analyzeFile } from '../analyze/index.js';
import { SchemaState } from '../analyze/schema-state.js';
import { type ExecutionPlan, planExecution, policyFor, transactionChoice } from '../analyze/transaction-model.js';
import { displayName } from '../analyze/ast.js';
import { UsageError } from '../config/errors.js';
import type { ResolvedConfig } from '../config/load.js';
import { type Migration, type MigrationFile, type MigrationProject, discover, partText } from '../discover/index.js';
import { loadParser, parseSource } from '../parse/parser.js';

/** One statement as `up` or `down` runs it. */
export interface PlannedStatement {
  readonly text: string;
  /** 1-based line of its first character in the file. */
  readonly line: number;
  /** The locks it takes, from the lock table: "ACCESS EXCLUSIVE on agents". */
  readonly locks: readonly string[];
}

/** A migration's part (its up or its rollback) ready to run. */
export interface PlannedFile {
  readonly migration: Migration;
  readonly file: MigrationFile;
  /** sha256 of the migration file's bytes, as recorded when it is applied. */
  readonly checksum: string;
  readonly statements: readonly PlannedStatement[];
  readonly plan: ExecutionPlan;
  /** The first statement to run: those before it ran in an earlier run that failed part-way (`up --resume`). */
  readonly startAt: number;
}

export interface RunnerProject {
  readonly folder: string;
  readonly project: MigrationProject;
  readonly config: ResolvedConfig;
}

/** The migrations project in a folder, with its whole history in order. */
export async function loadRunnerProject(folder: string, config: ResolvedConfig, cwd: string): Promise<RunnerProject> {
  const discovery = await discover([folder], { cwd, settingsFor: () => Promise.resolve({ layout: config.layout, isIgnored: config.isIgnored }) });
  const project = discovery.projects.find((candidate) => candidate.migrations.length > 0) ?? discovery.projects[0];
  if (!project) throw new UsageError(`no migrations in ${folder}`);
  const [problem] = project.problems.filter((found) => /is used by \d+ migrations/.test(found.message));
  if (problem) throw new UsageError(`${problem.file}: ${problem.message}`);
  return { folder, project, config };
}

export function checksumOf(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** sha256 of the first `count` statements' texts: what a run records as it commits them one by one. */
export function ranChecksum(statements: readonly PlannedStatement[], count: number): string {
  return createHash('sha256').update(statements.slice(0, count).map((statement) => statement.text).join('\0')).digest('hex');
}

/**
 * Plans the parts to run, in order: each file parsed, its statements' locks read from the lock
 * table with the schema the migrations before it left, and its transactions from the one model
 * the linter uses (migrate-safe runs them: `migrations.appliedBy` is migrate-safe for `up`).
 */
export async function planParts(runner: RunnerProject, parts: readonly { migration: Migration; part: 'up' | 'down' }[]): Promise<PlannedFile[]> {
  await loadParser();
  const { config, project } = runner;
  const choice = { ...transactionChoice(config), appliedBy: 'migrate-safe' as const };
  const state = new SchemaState();
  let transactions = 0;
  const planned: PlannedFile[] = [];
  const wanted = new Set(parts.map(({ migration, part }) => `${migration.id}\0${part}`));
  for (const migration of project.migrations) {
    for (const part of ['up', 'down'] as const) {
      const file = part === 'up' ? migration.up : migration.down;
      const isWanted = wanted.has(`${migration.id}\0${part}`);
      if (!file || (part === 'down' && !isWanted)) continue;
      const text = partText(file, readFileSync(file.path, 'utf8'));
      const parsed = parseSource(text);
      const [error] = parsed.errors;
      if (isWanted && error) {
        const { line } = parsed.source.positionAt(error.start);
        throw new UsageError(`${file.path}:${line}: PostgreSQL cannot parse this statement: ${error.message}`);
      }
      const policy = policyFor(file, choice);
      const statements: PlannedStatement[] = [];
      const checkpoint = part === 'down' ? state.checkpoint() : undefined;
      analyzeFile(
        parsed,
        state,
        { pgVersion: config.pgVersion, assumeInTransaction: false, transaction: policy, position: { migration: migration.id, part }, newTransactionId: () => ++transactions },
        isWanted
          ? (analysis) => {
              statements.push({
                text: analysis.statement.text,
                line: parsed.source.positionAt(analysis.statement.start).line,
                locks: analysis.locks.map((lock) => `${lock.mode} on ${displayName(lock.relation)}`),
              });
            }
          : undefined,
      );
      if (checkpoint !== undefined) state.restore(checkpoint);
      if (!isWanted) continue;
      planned.push({
        migration,
        file,
        checksum: checksumOf(migration.up.path),
        statements,
        plan: planExecution(policy, parsed.statements.map((statement) => statement.node)),
        startAt: 0,
      });
    }
  }
  // Rollbacks run newest first.
  const order = new Map(parts.map(({ migration, part }, index) => [`${migration.id}\0${part}`, index]));
  return planned.sort((left, right) => (order.get(`${left.migration.id}\0${left.file.part}`) ?? 0) - (order.get(`${right.migration.id}\0${right.file.part}`) ?? 0));
}
