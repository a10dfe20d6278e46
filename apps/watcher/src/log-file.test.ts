import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { LOG_FILE_MODE, openLogFile } from './log-file.js';

async function tempDir(): Promise<string> {
  const { dir, cleanup } = await makeTempDir('refdata-logfile-');
  onTestFinished(cleanup);
  return dir;
}

const line = (i: number): string => `${JSON.stringify({ i, msg: 'x'.repeat(90) })}\n`;

describe('openLogFile', () => {
  it('writes lines to a 0640 file, rotates it by size and keeps only the newest files', async () => {
    const dir = await tempDir();
    const path = join(dir, 'logs', 'refdata.log');
    const sink = openLogFile({ path, size: '1k', frequency: 'daily', keep: 2 }, (err) => {
      throw err;
    });
    // Written before the file is open: kept and written first.
    sink.write(line(0));
    for (let i = 1; i < 60; i++) {
      sink.write(line(i));
      await new Promise((r) => setTimeout(r, 2));
    }
    await sink.close();
    const files = (await readdir(join(dir, 'logs'))).sort();
    expect(files.length).toBe(3);
    for (const f of files) {
      expect(f).toMatch(/^refdata\.\d+\.log$/);
      expect((await stat(join(dir, 'logs', f))).mode & 0o777).toBe(LOG_FILE_MODE);
    }
    const numbers = files.map((f) => Number(/\.(\d+)\.log$/.exec(f)?.[1])).sort((a, b) => a - b);
    // The oldest files were deleted: the first kept one is not the first written.
    expect(numbers[0]).toBeGreaterThan(1);
    let kept = '';
    for (const n of numbers) kept += await readFile(join(dir, 'logs', `refdata.${n}.log`), 'utf8');
    expect(kept.endsWith(line(59))).toBe(true);
    expect(kept.startsWith(line(0))).toBe(false);
  });

  it('rotates by age', async () => {
    const dir = await tempDir();
    const path = join(dir, 'refdata.log');
    const sink = openLogFile({ path, size: '10m', frequency: 150, keep: 10 }, (err) => {
      throw err;
    });
    for (let i = 0; i < 8; i++) {
      sink.write(line(i));
      await new Promise((r) => setTimeout(r, 60));
    }
    await sink.close();
    const files = (await readdir(dir)).filter((f) => f.startsWith('refdata.'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    let total = 0;
    for (const f of files) total += (await readFile(join(dir, f), 'utf8')).split('\n').filter((l) => l !== '').length;
    expect(total).toBe(8);
  });

  it('reports a file that cannot be opened, refuses lines after it and closes at once', async () => {
    const dir = await tempDir();
    const blocker = join(dir, 'not-a-folder');
    await writeFile(blocker, 'x');
    const onError = vi.fn();
    const sink = openLogFile({ path: join(blocker, 'refdata.log'), size: '1m', frequency: 'daily', keep: 1 }, onError);
    await sink.close();
    expect(onError).toHaveBeenCalledOnce();
    expect(sink.failure).toBeInstanceOf(Error);
    expect(sink.write(line(1))).toBe(false);
  });
});
