/** The /proc open-writer check against real child processes. */
import { spawn } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fdinfoWrites, findOpenWriters } from './open-writers.js';

/** Starts a process that opens `path` with `flags`, prints "open" and waits to be killed. */
async function holder(path: string, flags: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('fs').openSync(process.argv[1], process.argv[2]); console.log('open'); setInterval(() => {}, 1000);`,
      path,
      flags,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  return child.pid as number;
}

async function identity(path: string): Promise<{ dev: string; ino: string }> {
  const st = await stat(path, { bigint: true });
  return { dev: st.dev.toString(), ino: st.ino.toString() };
}

describe.runIf(process.platform === 'linux')('findOpenWriters', () => {
  it('finds a process holding the file open for writing and ignores one that only reads it', async () => {
    const { dir, cleanup } = await makeTempDir();
    onTestFinished(cleanup);
    const written = join(dir, 'written.csv');
    const read = join(dir, 'read.csv');
    await writeFile(written, 'x');
    await writeFile(read, 'x');
    const writerPid = await holder(written, 'a');
    await holder(read, 'r');
    const result = await findOpenWriters([await identity(written), await identity(read)]);
    expect(result.supported).toBe(true);
    const key = `${(await identity(written)).dev}:${(await identity(written)).ino}`;
    expect(result.writers.get(key)).toEqual([writerPid]);
    expect(result.writers.size).toBe(1);
  });

  it('reports no writers once the writer exits, and unsupported without /proc', async () => {
    const { dir, cleanup } = await makeTempDir();
    onTestFinished(cleanup);
    const path = join(dir, 'a.csv');
    await writeFile(path, 'x');
    expect((await findOpenWriters([await identity(path)])).writers.size).toBe(0);
    expect((await findOpenWriters([await identity(path)], join(dir, 'no-proc'))).supported).toBe(false);
  });
});

describe('fdinfoWrites', () => {
  it('reads the access mode from the octal flags line', () => {
    expect(fdinfoWrites('pos:\t0\nflags:\t0100000\nmnt_id:\t1\n')).toBe(false);
    expect(fdinfoWrites('pos:\t0\nflags:\t0102001\n')).toBe(true);
    expect(fdinfoWrites('pos:\t0\nflags:\t02\n')).toBe(true);
    expect(fdinfoWrites('nothing')).toBe(false);
  });
});
