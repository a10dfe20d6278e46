/** moveNoClobber and writeFileAtomic on real files. */
import { link, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';
import { errnoCode, moveNoClobber, writeFileAtomic } from './fs-ops.js';

async function tempDir(): Promise<string> {
  const { dir, cleanup } = await makeTempDir();
  onTestFinished(cleanup);
  return dir;
}

describe('moveNoClobber', () => {
  it('moves a file to a free name', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a'), 'A');
    expect(await moveNoClobber(join(dir, 'a'), join(dir, 'b'))).toBe('moved');
    expect(await readdir(dir)).toEqual(['b']);
    expect(await readFile(join(dir, 'b'), 'utf8')).toBe('A');
  });

  it('never replaces another file that holds the name, and changes nothing', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'old'), 'OLD');
    await writeFile(join(dir, 'new'), 'NEW');
    expect(await moveNoClobber(join(dir, 'old'), join(dir, 'new'))).toBe('exists');
    expect(await readFile(join(dir, 'new'), 'utf8')).toBe('NEW');
    expect(await readFile(join(dir, 'old'), 'utf8')).toBe('OLD');
  });

  it('finishes a move interrupted between the link and the unlink', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'src'), 'S');
    await link(join(dir, 'src'), join(dir, 'dst'));
    expect(await moveNoClobber(join(dir, 'src'), join(dir, 'dst'))).toBe('moved');
    expect(await readdir(dir)).toEqual(['dst']);
  });

  it('rejects with ENOENT when the source is gone', async () => {
    const dir = await tempDir();
    const err = await moveNoClobber(join(dir, 'none'), join(dir, 'x')).catch((e: unknown) => e);
    expect(errnoCode(err)).toBe('ENOENT');
  });
});

describe('writeFileAtomic', () => {
  it('writes through a hidden temporary file and leaves only the target, with the requested mode', async () => {
    const dir = await tempDir();
    await writeFileAtomic(join(dir, 'x.error.json'), '{"a":1}\n', 0o640);
    expect(await readdir(dir)).toEqual(['x.error.json']);
    const { stat } = await import('node:fs/promises');
    expect((await stat(join(dir, 'x.error.json'))).mode & 0o002).toBe(0);
    await expect(writeFileAtomic(join(dir, 'missing', 'y'), 'y', 0o640)).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual(['x.error.json']);
  });

  it('writes a sidecar whose name has the full 255 bytes (the temporary name never grows past the limit)', async () => {
    const dir = await tempDir();
    const name = `${'ü'.repeat(97)}.20250101T120000Z-3fa9c2.csv.a-forty-byte-sidecar-suffix.json`;
    expect(Buffer.byteLength(name)).toBe(255);
    await writeFileAtomic(join(dir, name), 'x', 0o640);
    expect(await readdir(dir)).toEqual([name]);
  });
});

describe('errnoCode', () => {
  it('returns string codes only', () => {
    expect(errnoCode(Object.assign(new Error('x'), { code: 'EEXIST' }))).toBe('EEXIST');
    expect(errnoCode(Object.assign(new Error('x'), { code: 5 }))).toBeUndefined();
    expect(errnoCode(null)).toBeUndefined();
  });
});
