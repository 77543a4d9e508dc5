import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { format } from 'node:util';
import { UsageError } from '../config/errors.js';
import { loadParser } from '../parse/parser.js';
import { migrationsFolder } from './lint-command.js';
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
  await runMcpServer({ cwd, configFile: options.config === undefined ? undefined : resolve(options.config), defaultInputs: migrationsFolder });
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
