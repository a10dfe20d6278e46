/**
 * What the monitor's parts share: options, folders, store, queue, logger, the reporter of
 * events and problems, and the run flags the coordinator sets. Internal.
 */
import { userInfo } from 'node:os';
import type { EventEmitter } from 'eventemitter3';
import type PQueue from 'p-queue';
import type { ResolvedOptions } from './options.js';
import type { StagePaths } from './stages.js';
import type {
  ClaimStore,
  FileOperationEvent,
  LifecycleState,
  Logger,
  MonitorEvents,
  TransitionEvent,
} from './types.js';

/** Run flags, written by the coordinator only. */
export interface RunFlags {
  /** `watching` after start(), `once` during runOnce(). */
  mode: 'idle' | 'watching' | 'once';
  /** stop() is under way. */
  stopping: boolean;
  /** No new claims (runOnce finishing or stop under way). */
  closed: boolean;
}

/** Shared by every part of one monitor. */
export interface MonitorContext {
  readonly opts: ResolvedOptions;
  readonly paths: StagePaths;
  readonly store: ClaimStore;
  readonly log: Logger;
  readonly queue: PQueue;
  readonly report: Reporter;
  readonly run: RunFlags;
  /** Window of the polling rule: `intervalMs × stabilityChecks`. */
  readonly windowMs: number;
}

/** The message of an error, or the value as text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The operating-system user this process runs as; `uid:<n>` when it has no name (e.g. in a container). */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return typeof process.getuid === 'function' ? `uid:${process.getuid()}` : 'unknown';
  }
}

/** What a part says about an operation; the reporter adds who and when. */
export type OperationFacts = Omit<FileOperationEvent, 'instanceId' | 'user' | 'at'>;

/** Emits the monitor's events (a throwing listener is logged, never fatal) and reports problems. */
export class Reporter {
  readonly #emitter: EventEmitter<MonitorEvents>;
  readonly #log: Logger;
  readonly #instanceId: string;
  readonly #user: string = osUser();
  /** Problems reported once per condition until it clears. */
  readonly #reported = new Set<string>();

  constructor(emitter: EventEmitter<MonitorEvents>, log: Logger, instanceId: string) {
    this.#emitter = emitter;
    this.#log = log;
    this.#instanceId = instanceId;
  }

  /** Emits (and logs at debug) one operation on a file, with this instance, the OS user and the time. */
  operation(facts: OperationFacts): void {
    const event: FileOperationEvent = { ...facts, instanceId: this.#instanceId, user: this.#user, at: new Date() };
    this.#log.debug(
      {
        operation: event.operation,
        reason: event.reason,
        file: { name: event.name },
        fileId: event.fileId,
        from: event.from,
        to: event.to,
        user: event.user,
      },
      'file operation',
    );
    this.emit('operation', event);
  }

  /** Emits `event`; a listener that throws is logged. */
  emit<E extends keyof MonitorEvents>(event: E, ...args: Parameters<MonitorEvents[E]>): void {
    try {
      (this.#emitter.emit as (e: E, ...a: Parameters<MonitorEvents[E]>) => boolean).call(this.#emitter, event, ...args);
    } catch (err) {
      this.#log.error({ event, err: messageOf(err) }, 'a monitor event listener threw');
    }
  }

  /** Emits and logs (debug) a state change of one file. */
  transition(
    name: string,
    path: string,
    from: LifecycleState | null,
    to: LifecycleState,
    fileId?: number,
  ): TransitionEvent {
    const event = { name, path, from, to, at: new Date(), ...(fileId === undefined ? {} : { fileId }) };
    this.#log.debug({ file: { name, path }, from, to, fileId }, 'file transition');
    this.emit('transition', event);
    return event;
  }

  /** Logs (warn) and emits a problem; with `onceKey`, only once until {@link Reporter.cleared}. */
  problem(code: string, message: string, path?: string, onceKey?: string): void {
    if (onceKey !== undefined) {
      if (this.#reported.has(onceKey)) return;
      this.#reported.add(onceKey);
    }
    this.#log.warn({ code, ...(path === undefined ? {} : { path }) }, message);
    this.emit('problem', { code, message, ...(path === undefined ? {} : { path }) });
  }

  /** The condition behind `onceKey` cleared: report it again when it comes back. */
  cleared(onceKey: string): void {
    this.#reported.delete(onceKey);
  }
}

/** The lease this instance asks the store for. */
export function leaseOf(ctx: MonitorContext): { readonly instanceId: string; readonly leaseMs: number } {
  return { instanceId: ctx.opts.instanceId, leaseMs: ctx.opts.leaseMs };
}
