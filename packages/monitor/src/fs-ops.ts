/** File operations the monitor needs beyond node:fs: a move that never overwrites, and atomic writes. */
import { link, lstat, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { tempName } from './names.js';

/** Error codes for which hard links are unavailable and a checked rename is used instead. */
const NO_LINK_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS']);

/** Same inode on the same device? */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([lstat(a, { bigint: true }), lstat(b, { bigint: true })]);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

/**
 * Moves `src` to `dst` without ever replacing an existing `dst` (a newer upload with the same
 * name must not be lost): a hard link (atomic, fails when `dst` exists) then an unlink. A crash
 * between the two leaves both names on one inode, which a later call recognises and finishes.
 * Where hard links are unsupported it falls back to an existence check and a rename.
 *
 * @returns `moved`, or `exists` when `dst` is another file (nothing was changed).
 */
export async function moveNoClobber(src: string, dst: string): Promise<'moved' | 'exists'> {
  try {
    await link(src, dst);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') {
      if (!(await sameFile(src, dst))) return 'exists';
    } else if (NO_LINK_CODES.has(code)) {
      try {
        await lstat(dst);
        return 'exists';
      } catch (statErr) {
        if ((statErr as NodeJS.ErrnoException).code !== 'ENOENT') throw statErr;
      }
      await rename(src, dst);
      return 'moved';
    } else {
      throw err;
    }
  }
  try {
    await unlink(src);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return 'moved';
}

/** Temporary files this process is writing now (recovery of any monitor in the process leaves them alone). */
const writing = new Set<string>();

/** True while this process writes the temporary file at `path`. */
export function isBeingWritten(path: string): boolean {
  return writing.has(path);
}

/**
 * Writes `content` to `path` through a hidden temporary file in the same folder (named by
 * {@link tempName}) and a rename, so readers never see a partial file. The file is created with
 * `mode` (reduced by the umask). A crash before the rename leaves the temporary file, which
 * recovery removes.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, mode: number): Promise<void> {
  const tmp = join(dirname(path), tempName(basename(path)));
  writing.add(tmp);
  try {
    await writeFile(tmp, content, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  } finally {
    writing.delete(tmp);
  }
}

/** Removes the file at `path`: true when removed, false when it was gone already or could not be removed. */
export async function removeFile(path: string): Promise<boolean> {
  return unlink(path).then(
    () => true,
    () => false,
  );
}

/** `err.code` when it is a Node.js system error. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
