import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { format } from 'node:util';
import { BUILT_IN_RULES } from '../../rules/index.js';
import { UsageError } from '../config/errors.js';
import { ConfigLoader } from '../config/load.js';
import { DATABASE_URL_VARIABLES } from '../db/url.js';
import type { MigrationStatusSource } from '../mcp/server.js';
import { loadParser } from '../parse/parser.js';
import { openSession } from './database-command.js';
import { migrationsFolder } from './lint-command.js';
import { migrationStatuses, statusReport } from './status-command.js';
import { EXIT_OK } from './program.js';

/**
 * `migrate-safe mcp`: the Model Context Protocol server over standard input and output, for
 * coding agents. Runs until the agent closes the connection.
 */
export async function runMcp(folder: string | undefined, options: { config?: string }): Promise<number> {
  const cwd = resolve(folder ?? '.');
  if (!statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`the project folder ${cwd} does not exist`);
  keepStandardOutputForTheProtocol();
  // Compile the parser while the agent is still initializing.
  void loadParser();
  // Loaded only here: linting never pays for the MCP packages.
  const { runMcpServer } = await import('../mcp/server.js');
  const configFile = options.config === undefined ? undefined : resolve(options.config);
  await runMcpServer({ cwd, configFile, defaultInputs: migrationsFolder, migrationStatus: statusSource(configFile) });
  return EXIT_OK;
}

/** Standard output is the protocol: whatever a plugin logs goes to standard error instead, where agents keep a server's log. */
function keepStandardOutputForTheProtocol(): void {
  const toStandardError = (...args: unknown[]): void => {
    process.stderr.write(`${format(...args)}\n`);
  };
  console.log = toStandardError;
  console.info = toStandardError;
  console.debug = toStandardError;
}

/** `migrate-safe status --format json`, for the project in a folder: the runner's own functions, on a session of its own. */
function statusSource(configFile: string | undefined): MigrationStatusSource {
  return {
    async configured(folder) {
      if (DATABASE_URL_VARIABLES.some((name) => (process.env[name] ?? '') !== '')) return true;
      const configs = new ConfigLoader({ builtInRules: BUILT_IN_RULES, configFile, cwd: folder });
      return (await configs.forFolder(await migrationsFolder(configs, folder))).database.url !== undefined;
    },
    async read(folder) {
      const session = await openSession({ cwd: folder, config: configFile });
      try {
        return statusReport(session.database, await migrationStatuses(session));
      } finally {
        await session.database.close();
      }
    },
  };
}
