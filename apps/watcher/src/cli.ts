/**
 * Entry point of the `refdata` command (bin). Runs the CLI and exits with its code.
 */
import { run } from './program.js';

// Nothing the app creates may be world-writable, whatever the caller's umask.
const inherited = process.umask(0o022);
process.umask(inherited | 0o002);

const code = await run(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
});
process.exit(code);
