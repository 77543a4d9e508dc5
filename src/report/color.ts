import picocolors from 'picocolors';

export type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Whether to color output for a stream: an explicit --color/--no-color wins, then NO_COLOR
 * (no-color.org: present and not empty), then FORCE_COLOR (`0` or `false` turn it off, as in Node),
 * then whether the stream is a terminal.
 */
export function colorEnabled(stream: { isTTY?: boolean }, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function colors(enabled: boolean): Colors {
  return picocolors.createColors(enabled);
}
