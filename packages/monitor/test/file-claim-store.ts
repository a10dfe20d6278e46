/**
 * Test-only {@link ClaimStore} kept in a folder, atomic across processes on one machine: every
 * operation runs under a lock directory (`mkdir` is atomic) and rewrites `state.json` through a
 * temporary file and a rename, so a SIGKILL at any point leaves either the old or the new state.
 * A lock whose owner process is dead (or that has no owner after 1 s) is broken. Breaking is safe
 * in the tests that use it: crash tests run one monitor at a time, and the two-process test kills
 * nobody. Not for production: the watcher uses @refdata/db's tracking table.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Claim, ClaimRecord, ClaimStore, LifecycleState, SeenFile } from '../src/index.js';

const TERMINAL: ReadonlySet<LifecycleState> = new Set<LifecycleState>(['archived', 'failed', 'duplicate', 'held']);

/** One record of the file store. */
export interface FileClaimRecord {
  fileId: number;
  name: string;
  seenPath: string;
  path: string;
  state: LifecycleState;
  token: string;
  instanceId: string;
  leaseUntil: number;
  claims: number;
  error?: { code: string; message: string };
}

interface State {
  nextId: number;
  records: Record<string, FileClaimRecord>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The file-backed store with a read-only view of its records. */
export interface FileClaimStore extends ClaimStore {
  lookup(fileId: number): Promise<ClaimRecord | null>;
  records(): Promise<FileClaimRecord[]>;
}

/** Opens (creating when missing) a file-backed claim store in `dir`. */
export function createFileClaimStore(dir: string): FileClaimStore {
  const lockDir = join(dir, 'lock');
  const statePath = join(dir, 'state.json');

  async function lock(): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (;;) {
      try {
        await mkdir(lockDir);
        await writeFile(join(lockDir, 'owner'), String(process.pid));
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number(await readFile(join(lockDir, 'owner'), 'utf8').catch(() => '0'));
      const age = await stat(lockDir).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if ((owner > 0 && !alive(owner)) || (owner === 0 && age > 1_000)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      await sleep(1 + Math.random() * 4);
    }
  }

  async function withState<T>(fn: (state: State) => T, write: boolean): Promise<T> {
    await lock();
    try {
      const state: State = await readFile(statePath, 'utf8').then(
        (text) => JSON.parse(text) as State,
        () => ({ nextId: 1, records: {} }),
      );
      const result = fn(state);
      if (write) {
        const tmp = `${statePath}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify(state));
        await rename(tmp, statePath);
      }
      return result;
    } finally {
      await rm(lockDir, { recursive: true, force: true });
    }
  }

  const issue = (r: FileClaimRecord, lease: { instanceId: string; leaseMs: number }): Claim => {
    r.token = randomUUID();
    r.instanceId = lease.instanceId;
    r.leaseUntil = Date.now() + lease.leaseMs;
    r.claims++;
    return { fileId: r.fileId, token: r.token, leaseUntil: new Date(r.leaseUntil) };
  };

  const held = (state: State, claim: Claim): FileClaimRecord => {
    const r = state.records[claim.fileId];
    if (r === undefined || r.token !== claim.token || TERMINAL.has(r.state)) {
      throw Object.assign(new Error(`claim on ${claim.fileId} lost`), { code: 'TEST_CLAIM_LOST' });
    }
    return r;
  };

  return {
    claimNew: (file: SeenFile, lease) =>
      withState((state) => {
        const now = Date.now();
        const open = Object.values(state.records).filter((r) => r.path === file.path && !TERMINAL.has(r.state));
        const latest = open.at(-1);
        if (latest !== undefined) {
          if (latest.leaseUntil > now) return null;
          // Like db.files: an abandoned claim on the same path is taken over.
          latest.name = file.name;
          latest.state = 'claimed';
          return issue(latest, lease);
        }
        const r: FileClaimRecord = {
          fileId: state.nextId++,
          name: file.name,
          seenPath: file.path,
          path: file.path,
          state: 'claimed',
          token: '',
          instanceId: '',
          leaseUntil: 0,
          claims: 0,
        };
        state.records[r.fileId] = r;
        return issue(r, lease);
      }, true),
    reclaim: (fileId, lease) =>
      withState((state) => {
        const r = state.records[fileId];
        if (r === undefined || TERMINAL.has(r.state) || r.leaseUntil > Date.now()) return null;
        return issue(r, lease);
      }, true),
    heartbeat: (claim, leaseMs) =>
      withState((state) => {
        const r = state.records[claim.fileId];
        if (r === undefined || r.token !== claim.token || TERMINAL.has(r.state)) return false;
        r.leaseUntil = Date.now() + leaseMs;
        return true;
      }, true),
    transition: (claim, stateName, details) =>
      withState((state) => {
        const r = held(state, claim);
        r.state = stateName;
        r.path = details.path;
      }, true),
    finish: (claim, stateName, details) =>
      withState((state) => {
        const r = held(state, claim);
        r.state = stateName;
        r.path = details.path;
        r.leaseUntil = 0;
        if (details.error !== undefined) r.error = { code: details.error.code, message: details.error.message };
      }, true),
    lookup: (fileId) =>
      withState((state) => {
        const r = state.records[fileId];
        return r === undefined ? null : { state: r.state, path: r.path };
      }, false),
    records: () => withState((state) => Object.values(state.records), false),
  };
}
