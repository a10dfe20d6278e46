/** Finds processes holding a file open for writing, through `/proc` (Linux); elsewhere it reports unsupported. */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';

/** Identity of a file: device and inode (as decimal strings, exact for 64-bit inodes). */
export interface FileIdentity {
  readonly dev: string;
  readonly ino: string;
}

/** Result of {@link findOpenWriters}. */
export interface OpenWritersResult {
  /** Whether the platform let us look (Linux with /proc). */
  readonly supported: boolean;
  /** `dev:ino` → process ids holding that file open for writing. */
  readonly writers: ReadonlyMap<string, readonly number[]>;
  /** Processes whose descriptors could not be listed (other users' processes when not root). */
  readonly unreadable: number;
}

/** `dev:ino` key of an identity. */
export function identityKey(id: FileIdentity): string {
  return `${id.dev}:${id.ino}`;
}

const O_ACCMODE = 0o3;
const O_WRONLY = 0o1;
const O_RDWR = 0o2;

/** Runs `fn` over `items` with at most `limit` at once. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** True when the fdinfo text says the descriptor was opened for writing. */
export function fdinfoWrites(fdinfo: string): boolean {
  const match = /^flags:\s*([0-7]+)/m.exec(fdinfo);
  if (match === null) return false;
  const mode = Number.parseInt(match[1] as string, 8) & O_ACCMODE;
  return mode === O_WRONLY || mode === O_RDWR;
}

/**
 * Finds processes that hold any of `files` open for writing, by reading `/proc/<pid>/fd` (the
 * descriptor's target, compared by device and inode) and `/proc/<pid>/fdinfo/<fd>` (its access
 * mode). One sweep covers all `files`, so callers batch the candidates of a scan. Only descriptors
 * pointing at a path are stat'ed (sockets, pipes and anonymous inodes are skipped by their link
 * text). Processes of other users are invisible unless we run as root; they are counted in
 * `unreadable`. Returns `supported: false` where /proc does not exist.
 */
export async function findOpenWriters(files: readonly FileIdentity[], procRoot = '/proc'): Promise<OpenWritersResult> {
  const writers = new Map<string, number[]>();
  if (files.length === 0) return { supported: true, writers, unreadable: 0 };
  let pids: number[];
  try {
    pids = (await readdir(procRoot)).filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return { supported: false, writers, unreadable: 0 };
  }
  const wanted = new Set(files.map(identityKey));
  let unreadable = 0;
  await forEachLimited(pids, 8, async (pid) => {
    let fds: string[];
    try {
      fds = await readdir(`${procRoot}/${pid}/fd`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') unreadable++;
      return;
    }
    for (const fd of fds) {
      const link = `${procRoot}/${pid}/fd/${fd}`;
      try {
        const target = await readlink(link);
        if (!target.startsWith('/')) continue;
        const st = await stat(link, { bigint: true });
        const key = identityKey({ dev: st.dev.toString(), ino: st.ino.toString() });
        if (!wanted.has(key)) continue;
        const info = await readFile(`${procRoot}/${pid}/fdinfo/${fd}`, 'utf8');
        if (!fdinfoWrites(info)) continue;
        const list = writers.get(key) ?? [];
        if (!list.includes(pid)) list.push(pid);
        writers.set(key, list);
      } catch {
        // The descriptor was closed or the process exited while we looked: not a writer.
      }
    }
  });
  return { supported: true, writers, unreadable };
}
