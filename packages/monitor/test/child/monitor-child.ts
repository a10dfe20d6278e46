/**
 * A monitor in its own process, for crash and multi-process tests (bundled by esbuild at test
 * time). argv[2] is a JSON {@link ChildConfig}. Prints `started` once running; SIGTERM stops it
 * gracefully. The handler reads the whole file, waits a random delay (honouring the signal),
 * appends `name<TAB>fileId<TAB>pid<TAB>JSON(content)` to the ledger with O_APPEND and fails names
 * containing `bad`. With `killWhenRenamingTo`, the process SIGKILLs itself at the rename that would
 * complete an atomic write of a file whose name ends so (e.g. `.error.json`): the crash window
 * between the temporary file and its rename, hit every time.
 */
import { appendFileSync } from 'node:fs';
import fsp, { readFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
import { createMonitor } from '../../src/index.js';
import { createFileClaimStore } from '../file-claim-store.js';

export interface ChildConfig {
  readonly root: string;
  readonly storeDir: string;
  readonly ledger: string;
  readonly leaseMs: number;
  readonly intervalSeconds: number;
  readonly stabilityChecks: number;
  readonly concurrency: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly gracePeriodMs: number;
  readonly killWhenRenamingTo?: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;

const killAt = config.killWhenRenamingTo;
if (killAt !== undefined) {
  const rename = fsp.rename;
  fsp.rename = (async (from, to) => {
    if (basename(String(from)).startsWith('.') && String(to).endsWith(killAt)) process.kill(process.pid, 'SIGKILL');
    return rename(from, to);
  }) as typeof fsp.rename;
  // The monitor imports rename by name: make the named export follow the patched one.
  syncBuiltinESMExports();
}

const monitor = createMonitor({
  root: config.root,
  store: createFileClaimStore(config.storeDir),
  intervalSeconds: config.intervalSeconds,
  stabilityChecks: config.stabilityChecks,
  concurrency: config.concurrency,
  leaseMs: config.leaseMs,
  gracePeriodMs: config.gracePeriodMs,
  instanceId: `child:${process.pid}`,
  handler: async (file, { signal }) => {
    const content = await readFile(file.processingPath, 'utf8');
    const delay = config.minDelayMs + Math.random() * (config.maxDelayMs - config.minDelayMs);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, delay);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
    appendFileSync(config.ledger, `${file.name}\t${file.claim.fileId}\t${process.pid}\t${JSON.stringify(content)}\n`);
    if (file.name.includes('bad')) return { state: 'failed', error: { code: 'TEST_BAD', message: 'bad by name' } };
    return { state: 'archived' };
  },
});

monitor.on('problem', (p) => {
  process.stderr.write(`[child ${process.pid}] problem ${p.code}: ${p.message}\n`);
});

process.once('SIGTERM', () => {
  void monitor.stop().then(() => process.exit(0));
});

await monitor.start();
process.stdout.write('started\n');
