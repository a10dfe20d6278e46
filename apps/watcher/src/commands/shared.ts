/**
 * Helpers shared by the commands.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AppContext } from '../context.js';
import { AppError, AppErrorCode } from '../errors.js';

/** What a command action receives. */
export interface CommandEnv {
  readonly ctx: AppContext;
  /** The command's options merged with the global ones. */
  readonly opts: Readonly<Record<string, unknown>>;
}

/**
 * Parses a whole number option, or throws `APP_USAGE` naming the option.
 *
 * @example
 * ```ts
 * intOption('--limit', '100', 1); // 100
 * ```
 */
export function intOption(name: string, value: unknown, min = 0): number {
  const text = String(value).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new AppError(AppErrorCode.USAGE, `${name} must be a whole number ≥ ${min}; got ${JSON.stringify(value)}.`);
  }
  return n;
}

/**
 * Parses a tracking id argument.
 *
 * @example
 * ```ts
 * fileIdArgument('42'); // 42
 * ```
 */
export function fileIdArgument(value: string): number {
  const text = value.trim();
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw new AppError(
      AppErrorCode.USAGE,
      `FILE_ID must be a positive whole number (see \`refdata files\`); got ${JSON.stringify(value)}.`,
    );
  }
  return Number(text);
}

/**
 * The logical table of a table argument: `ref.currencies` and `currencies` both name `currencies`.
 *
 * @example
 * ```ts
 * tableArgument('ref.currencies'); // 'currencies'
 * ```
 */
export function tableArgument(value: string): string {
  const text = value.trim().replace(/^\[?ref\]?\./i, '');
  if (text === '')
    throw new AppError(AppErrorCode.USAGE, 'TABLE must not be empty; e.g. currencies or ref.currencies.');
  return text;
}

/**
 * Resolves an input path and checks that it is a readable regular file.
 *
 * @example
 * ```ts
 * const { path, size } = await inputFile(ctx, 'currencies.csv');
 * ```
 */
export async function inputFile(
  ctx: AppContext,
  file: string,
): Promise<{ path: string; size: number; mtimeMs: number }> {
  const path = resolve(ctx.runtime.cwd, file);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new AppError(AppErrorCode.INPUT_NOT_FOUND, `Cannot read ${path}: it does not exist. Check the path.`, {
      cause,
    });
  }
  if (!info.isFile()) {
    throw new AppError(AppErrorCode.INPUT_NOT_FOUND, `${path} is not a regular file. Name a CSV file.`);
  }
  return { path, size: Number(info.size), mtimeMs: Number(info.mtimeMs) };
}

/**
 * A duration in milliseconds for people: `850 ms`, `12.3 s`, `4 min 05 s`.
 *
 * @example
 * ```ts
 * formatDuration(12_300); // '12.3 s'
 * ```
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${min} min ${String(s).padStart(2, '0')} s`;
}

/**
 * An age for people: `just now`, `5 min ago`, `3 h ago`, `2 d ago`.
 *
 * @example
 * ```ts
 * formatAge(new Date(Date.now() - 90_000)); // '2 min ago'
 * ```
 */
export function formatAge(at: Date | null, now: number = Date.now()): string {
  if (at === null) return 'never';
  const s = Math.max(0, (now - at.getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/**
 * True when an `--out` value names this process's standard output: `-`, `/dev/stdout`,
 * `/dev/fd/1` or `/proc/self/fd/1`. Such output goes through the app's stdout sink — opening the
 * path again fails on a socket (ENXIO) and truncates a file the shell redirected to.
 */
export function isStdoutPath(value: string): boolean {
  return value === '-' || value === '/dev/stdout' || value === '/dev/fd/1' || value === '/proc/self/fd/1';
}
