/**
 * What one observation of a directory entry records (an lstat, never following symlinks), and
 * the comparisons the stability rules and the post-handler checks make on it.
 */
import { lstat } from 'node:fs/promises';
import { errnoCode } from './fs-ops.js';
import type { SignatureChange } from './types.js';

/** One observation of a directory entry. */
export interface Sig {
  readonly kind: 'file' | 'symlink' | 'other';
  readonly dev: string;
  readonly ino: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly mtimeNs: string;
  readonly ctimeMs: number;
  readonly ctimeNs: string;
  /** Hard links to the inode: more than one for a file left half-moved by a crash. */
  readonly nlink: number;
}

/** Observes `path` (lstat, nanosecond times); null when it does not exist. */
export async function observe(path: string): Promise<Sig | null> {
  try {
    const st = await lstat(path, { bigint: true });
    return {
      kind: st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other',
      dev: st.dev.toString(),
      ino: st.ino.toString(),
      size: Number(st.size),
      mtimeMs: Number(st.mtimeNs / 1000n) / 1000,
      mtimeNs: st.mtimeNs.toString(),
      ctimeMs: Number(st.ctimeNs / 1000n) / 1000,
      ctimeNs: st.ctimeNs.toString(),
      nlink: Number(st.nlink),
    };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** Nothing changed between two observations (kind, identity, size, mtime, ctime). */
export function sameSig(a: Sig, b: Sig): boolean {
  return (
    a.kind === b.kind &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

/** What changed from `a` to `b` (empty when {@link sameSig}). */
export function changesOf(a: Sig, b: Sig): SignatureChange[] {
  if (a.kind !== b.kind || a.dev !== b.dev || a.ino !== b.ino) return ['replaced'];
  const changes: SignatureChange[] = [];
  if (a.size !== b.size) changes.push('size');
  if (a.mtimeNs !== b.mtimeNs) changes.push('mtime');
  if (a.ctimeNs !== b.ctimeNs) changes.push('ctime');
  return changes;
}

/** Same content as far as metadata tells (ctime excluded: our own renames change it). */
export function sameContent(a: Sig, b: Sig): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}
