import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings of the CLI process, imported first by the CLI entry and by the build that writes the
 * bundle's code cache (V8 accepts a code cache only under the flags it was written with). Not set
 * by the library API: an embedding process keeps its own V8 settings.
 *
 * WebAssembly stays on V8's baseline compiler (Liftoff). By default V8 recompiles the parser's hot
 * functions with TurboFan on background threads, and Node waits for those threads before the
 * process exits: linting one small file spent longer waiting for optimized code it would never
 * run than linting. Measured on the libpg-query parser, Liftoff alone parses 40,000 statements in
 * 2,000 files as fast as with tier-up and one 20,000-statement file faster. libpg-query starts
 * compiling when its module is evaluated, and V8 reads the flag at compile time.
 *
 * TurboFan inlines at most 230 bytes of bytecode into one optimized function (V8's default is
 * 920). A large project's run optimizes a few hundred functions, mostly rule handlers and the
 * analysis, which call many small helpers: on the 2,000-file bench project, the background
 * threads compiling them took about 1.0 s of CPU, a quarter of the run, and 0.75-0.8 s with the
 * lower limit, while the main thread's time stayed the same (three runs each, interleaved).
 */
setFlagsFromString('--liftoff-only');
setFlagsFromString('--max-inlined-bytecode-size-cumulative=230');
