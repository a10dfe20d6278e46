/** A {@link ClaimStore} in memory: single process, for tests and for use without a database. */
import { randomUUID } from 'node:crypto';
import { MonitorError, MonitorErrorCode } from './errors.js';
import type { Claim, ClaimRecord, ClaimStore, LifecycleState, SeenFile, TerminalState } from './types.js';

const TERMINAL: ReadonlySet<LifecycleState> = new Set<LifecycleState>(['archived', 'failed', 'duplicate', 'held']);

/** One claim as kept by {@link createMemoryClaimStore}. */
export interface MemoryClaimEntry {
  readonly fileId: number;
  readonly name: string;
  readonly state: LifecycleState;
  readonly path: string;
  readonly instanceId: string;
  readonly leaseUntil: Date | null;
  readonly error?: { readonly code: string; readonly message: string };
}

/** The in-memory {@link ClaimStore}, with a read-only view of its entries. */
export interface MemoryClaimStore extends ClaimStore {
  lookup(fileId: number): Promise<ClaimRecord | null>;
  /** A copy of every entry, oldest first. */
  entries(): MemoryClaimEntry[];
}

interface Entry {
  fileId: number;
  name: string;
  state: LifecycleState;
  path: string;
  token: string;
  instanceId: string;
  leaseUntil: number;
  error?: { readonly code: string; readonly message: string };
}

/**
 * A {@link ClaimStore} kept in memory: atomic within one process only, forgotten on exit. The
 * default of `createMonitor`; use a database-backed store (the watcher adapts `db.files`) when
 * several processes share a drop folder or claims must survive a restart.
 *
 * Semantics match `db.files`: `claimNew` returns null while a non-terminal entry for the same
 * path holds an unexpired lease, and takes over such an entry once its lease expired (instead of
 * adding a second one); `reclaim` succeeds only on a non-terminal entry whose lease
 * expired; `heartbeat` is false once the token no longer holds the entry; `transition` and
 * `finish` throw `MONITOR_CLAIM_LOST` on a stale token.
 *
 * @example
 * ```ts
 * const store = createMemoryClaimStore();
 * const monitor = createMonitor({ root: './drop', handler, store });
 * ```
 */
export function createMemoryClaimStore(): MemoryClaimStore {
  const byId = new Map<number, Entry>();
  let nextId = 1;

  const issue = (entry: Entry, lease: { readonly instanceId: string; readonly leaseMs: number }): Claim => {
    entry.token = randomUUID();
    entry.instanceId = lease.instanceId;
    entry.leaseUntil = Date.now() + lease.leaseMs;
    return { fileId: entry.fileId, token: entry.token, leaseUntil: new Date(entry.leaseUntil) };
  };

  const held = (claim: Claim): Entry => {
    const entry = byId.get(claim.fileId);
    if (entry === undefined || entry.token !== claim.token || TERMINAL.has(entry.state)) {
      throw new MonitorError(
        MonitorErrorCode.ClaimLost,
        `File ${claim.fileId} is no longer held by this claim (another instance re-claimed it or it already ended). Leave the file to its current holder.`,
      );
    }
    return entry;
  };

  return {
    async claimNew(file: SeenFile, lease) {
      const now = Date.now();
      let latest: Entry | undefined;
      for (const entry of byId.values()) {
        if (entry.path === file.path && !TERMINAL.has(entry.state)) latest = entry;
      }
      if (latest !== undefined) {
        if (latest.leaseUntil > now) return null;
        // Like db.files: an abandoned claim on the same path is taken over, not duplicated.
        latest.name = file.name;
        latest.state = 'claimed';
        return issue(latest, lease);
      }
      const entry: Entry = {
        fileId: nextId++,
        name: file.name,
        state: 'claimed',
        path: file.path,
        token: '',
        instanceId: '',
        leaseUntil: 0,
      };
      byId.set(entry.fileId, entry);
      return issue(entry, lease);
    },
    async reclaim(fileId, lease) {
      const entry = byId.get(fileId);
      if (entry === undefined || TERMINAL.has(entry.state) || entry.leaseUntil > Date.now()) return null;
      return issue(entry, lease);
    },
    async heartbeat(claim, leaseMs) {
      const entry = byId.get(claim.fileId);
      if (entry === undefined || entry.token !== claim.token || TERMINAL.has(entry.state)) return false;
      entry.leaseUntil = Date.now() + leaseMs;
      return true;
    },
    async transition(claim, state, details) {
      const entry = held(claim);
      entry.state = state;
      entry.path = details.path;
    },
    async finish(claim, state: TerminalState, details) {
      const entry = held(claim);
      entry.state = state;
      entry.path = details.path;
      entry.leaseUntil = 0;
      if (details.error !== undefined) entry.error = { code: details.error.code, message: details.error.message };
    },
    async lookup(fileId) {
      const entry = byId.get(fileId);
      return entry === undefined ? null : { state: entry.state, path: entry.path };
    },
    entries() {
      return [...byId.values()].map((e) => ({
        fileId: e.fileId,
        name: e.name,
        state: e.state,
        path: e.path,
        instanceId: e.instanceId,
        leaseUntil: TERMINAL.has(e.state) ? null : new Date(e.leaseUntil),
        ...(e.error === undefined ? {} : { error: e.error }),
      }));
    },
  };
}
