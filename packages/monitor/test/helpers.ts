/** Helpers of the monitor's tests: temp roots, monitors stopped at the end, folder listings, waits, writer processes. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { onTestFinished } from 'vitest';
import { createMonitor, type Monitor, type MonitorOptions, type Stage, stagePaths } from '../src/index.js';

/** A fresh drop root for one test, removed when the test finishes. */
export async function makeRoot(): Promise<string> {
  const { dir, cleanup } = await makeTempDir('refdata-monitor-');
  onTestFinished(cleanup);
  return join(dir, 'drop');
}

/** A monitor stopped when the test finishes. */
export function monitorFor(options: MonitorOptions): Monitor {
  const monitor = createMonitor(options);
  onTestFinished(() => monitor.stop());
  return monitor;
}

/** Entries of a stage folder, sorted, hidden files included. */
export async function list(root: string, stage: Stage): Promise<string[]> {
  try {
    return (await readdir(stagePaths(root)[stage])).sort();
  } catch {
    return [];
  }
}

/** Polls `predicate` every 20 ms until it is true; fails after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a small writer script in a real child process; resolves with its exit code and stdout. */
export function runWriter(
  script: string,
  args: readonly string[],
): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string }> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  const done = new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve({ code, stdout });
      else reject(new Error(`writer exited with ${code}: ${stdout}`));
    });
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, done };
}
