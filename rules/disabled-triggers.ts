import { type Node, type QualifiedName, type StatementContext, defineRule, displayName, nameOfRangeVar, nodeOf, stringsOf } from '../src/api.js';

/** DISABLE TRIGGER ALL turns off the foreign keys' internal triggers too; USER only the table's own. */
const DISABLING: Readonly<Record<string, 'ALL' | 'USER'>> = { AT_DisableTrigAll: 'ALL', AT_DisableTrigUser: 'USER' };
const ENABLING = new Set(['AT_EnableTrigAll', 'AT_EnableTrigUser']);

export default defineRule({
  id: 'disabled-triggers',
  meta: {
    description: 'DISABLE TRIGGER ALL or USER, and session_replication_role = replica, turn off foreign key checks or the project\'s own triggers.',
    severity: 'warn',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      '`ALTER TABLE ... DISABLE TRIGGER ALL` turns off every trigger of the table, the internal ones that enforce its',
      'foreign keys included; `DISABLE TRIGGER USER` turns off the project\'s own triggers (audit logs, `updated_at`,',
      'the sync trigger of a column rename). Rows written meanwhile, by the migration or by the application, are',
      'never checked nor processed: orphaned references and stale copies stay behind, and no later statement',
      'notices. The statement locks the table in SHARE ROW EXCLUSIVE mode, so the application\'s writes wait until',
      'the transaction ends, and if the migration never enables the triggers again they stay off for good.',
      '`SET session_replication_role = replica` does the same for every table the session writes (it needs a',
      'superuser): foreign keys and ordinary triggers do not fire.',
      '',
      'Keep the triggers on and write in batches; a trigger that must not fire for a backfill can test a setting',
      'of its own (`current_setting(\'app.backfill\', true)`) and return early. Disabling one named trigger is not',
      'reported, nor a table created earlier in the same migration.',
    ].join('\n'),
    bad: ['ALTER TABLE orders DISABLE TRIGGER ALL;', "UPDATE orders SET customer_id = 42 WHERE customer_id = 41;", 'ALTER TABLE orders ENABLE TRIGGER ALL;'].join('\n'),
    good: "UPDATE orders SET customer_id = 42 WHERE customer_id = 41;",
  },
  create() {
    const disabled: { readonly key: string; readonly report: (enabledLater: boolean) => void }[] = [];
    const enabled = new Set<string>();
    return {
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table || node.objtype !== 'OBJECT_TABLE') return;
        const key = statement.schema.key(table);
        for (const command of node.cmds ?? []) {
          const subtype = nodeOf(command, 'AlterTableCmd')?.subtype ?? '';
          if (ENABLING.has(subtype)) enabled.add(key);
          const which = DISABLING[subtype];
          if (!which || statement.schema.isNewTable(table)) continue;
          enabled.delete(key);
          disabled.push({ key, report: (enabledLater) => { reportDisable(statement, table, which, enabledLater); } });
        }
      },
      VariableSetStmt(node, statement) {
        if (node.name?.toLowerCase() === 'session_replication_role' && isReplica(node.args)) reportReplicaRole(statement);
      },
      SelectStmt(node, statement) {
        for (const target of node.targetList ?? []) {
          const call = nodeOf(nodeOf(target, 'ResTarget')?.val, 'FuncCall');
          const [setting, value] = call?.args ?? [];
          if (stringsOf(call?.funcname).at(-1) === 'set_config' && constant(setting) === 'session_replication_role' && constant(value)?.toLowerCase() === 'replica') reportReplicaRole(statement);
        }
      },
      'File:exit'() {
        // An ENABLE after the last DISABLE of the table turns them back on.
        for (const entry of disabled) entry.report(enabled.has(entry.key));
      },
    };
  },
});

function constant(node: Node | undefined): string | undefined {
  return nodeOf(node, 'A_Const')?.sval?.sval;
}

function isReplica(args: readonly Node[] | undefined): boolean {
  return (args ?? []).some((arg) => constant(arg)?.toLowerCase() === 'replica');
}

function reportDisable(statement: StatementContext, table: QualifiedName, which: 'ALL' | 'USER', enabledLater: boolean): void {
  const name = displayName(table);
  const what = which === 'ALL' ? `every trigger of ${name}, the checks of its foreign keys included` : `the project's own triggers on ${name}`;
  statement.report({
    message: `DISABLE TRIGGER ${which} turns off ${what}: rows written meanwhile are never checked nor processed, and the application's writes to ${name} wait behind its SHARE ROW EXCLUSIVE lock until the transaction ends.${enabledLater ? '' : ' This migration never enables them again: they stay off after it.'}`,
    help: [
      '-- Keep the triggers on and write in batches. A trigger that must not fire for this backfill can return early:',
      "--   IF current_setting('app.backfill', true) = 'on' THEN RETURN NEW; END IF;",
      "-- with SET LOCAL app.backfill = 'on'; in the backfill's transaction.",
    ].join('\n'),
  });
}

function reportReplicaRole(statement: StatementContext): void {
  statement.report({
    message: 'session_replication_role = replica turns off foreign key checks and every ordinary trigger for the rest of the session: rows the migration writes meanwhile are never checked nor processed.',
    help: [
      '-- Keep the default role (origin) and write in batches. A trigger that must not fire for this backfill can return early:',
      "--   IF current_setting('app.backfill', true) = 'on' THEN RETURN NEW; END IF;",
      "-- with SET LOCAL app.backfill = 'on'; in the backfill's transaction.",
    ].join('\n'),
    lock: null,
  });
}
