/**
 * Entry point of the `refdata` command (bin). Runs the CLI and exits with its code.
 */
import { ExitCode } from './exit-codes.js';
import { PipeState } from './pipe-state.js';
import { run } from './program.js';

// Nothing the app creates may be world-writable, whatever the caller's umask.
const inherited = process.umask(0o022);
process.umask(inherited | 0o002);

// Listen for EPIPE before anything is written (a closed pipe must not crash the process).
const stdout = PipeState.of(process.stdout);
const stderr = PipeState.of(process.stderr);
const code = await run(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
});
// process.exit drops whatever a pipe has not taken yet: wait until every byte has left.
await Promise.all([stdout.flushed(), stderr.flushed()]);
process.exit(code === ExitCode.OK && stdout.closed ? ExitCode.OUTPUT_CLOSED : code);
