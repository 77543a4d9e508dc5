/** A problem the user must fix in how migrate-safe is invoked or configured: one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
