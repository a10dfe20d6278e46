/**
 * A writer run in a real child process (`node --input-type=module -e WRITER_SCRIPT -- MODE PATH …`).
 * Every mode writes `lines` numbered lines and a final `END` line, prints the time of its last
 * write (or rename/marker) as `done <ms>` and exits.
 *
 * - `append PATH LINES PAUSE_MS`: reopens the file for every line (no descriptor held between writes).
 * - `prealloc PATH LINES PAUSE_MS LONG_PAUSE_MS`: opens once, sets the final size first (sparse),
 *   fills it line by line with positional writes and pauses LONG_PAUSE_MS halfway, descriptor open.
 * - `tmp PATH LINES PAUSE_MS`: writes PATH.tmp line by line, then renames it to PATH.
 * - `marker PATH LINES PAUSE_MS MARKER_SUFFIX`: appends line by line, then creates PATH + suffix.
 */
export const WRITER_SCRIPT = `
import { appendFileSync, closeSync, ftruncateSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
const [mode, path, linesArg, pauseArg, extra] = process.argv.slice(1);
const lines = Number(linesArg);
const pause = Number(pauseArg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const jitter = () => Math.round(pause * (0.5 + Math.random() * 0.5));
const body = Array.from({ length: lines }, (_, i) => 'line ' + String(i).padStart(6, '0') + ',' + 'x'.repeat(40) + '\\n');
body.push('END\\n');
let last = 0;
if (mode === 'append' || mode === 'marker' || mode === 'tmp') {
  const target = mode === 'tmp' ? path + '.tmp' : path;
  for (const line of body) {
    appendFileSync(target, line);
    last = Date.now();
    await sleep(jitter());
  }
  if (mode === 'tmp') renameSync(target, path);
  if (mode === 'marker') writeFileSync(path + extra, '');
  last = Date.now();
} else if (mode === 'prealloc') {
  const total = Buffer.byteLength(body.join(''));
  const fd = openSync(path, 'w');
  ftruncateSync(fd, total);
  let pos = 0;
  for (let i = 0; i < body.length; i++) {
    const buf = Buffer.from(body[i]);
    writeSync(fd, buf, 0, buf.length, pos);
    last = Date.now();
    pos += buf.length;
    await sleep(i === Math.floor(body.length / 2) ? Number(extra) : jitter());
  }
  closeSync(fd);
  last = Date.now();
} else {
  throw new Error('unknown mode ' + mode);
}
console.log('done ' + last);
`;

/** The exact content every writer mode produces for `lines`. */
export function expectedContent(lines: number): string {
  const body = Array.from({ length: lines }, (_, i) => `line ${String(i).padStart(6, '0')},${'x'.repeat(40)}\n`);
  return `${body.join('')}END\n`;
}

/** Parses the writer's `done <ms>` line. */
export function doneAt(stdout: string): number {
  const match = /done (\d+)/.exec(stdout);
  if (match === null) throw new Error(`writer did not finish: ${stdout}`);
  return Number(match[1]);
}
