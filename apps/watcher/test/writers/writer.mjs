#!/usr/bin/env node
// A real writer process for the monitor tests.
// usage: node writer.mjs MODE PATH ROWS STEPS PAUSE_MS
//   append      header, then ROWS rows appended in STEPS steps with PAUSE_MS between them
//   preallocate the final size set first (zero bytes), then the content written in place in
//               STEPS steps, the file held open for writing throughout (as some SMB clients do)
//   tmp-rename  written as PATH.tmp in STEPS steps, then renamed to PATH
//   marker      written in STEPS steps, then PATH.done created
import { appendFileSync, closeSync, ftruncateSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';

const [mode, path, rowsText, stepsText, pauseText] = process.argv.slice(2);
const rows = Number(rowsText);
const steps = Number(stepsText);
const pause = Number(pauseText);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const lines = ['id,name,amount'];
for (let i = 1; i <= rows; i++) lines.push(`${i},item ${i},${(i * 1.25).toFixed(2)}`);
const header = `${lines[0]}\n`;
const body = `${lines.slice(1).join('\n')}\n`;
const chunks = [];
const per = Math.ceil(body.length / steps);
for (let i = 0; i < steps; i++) chunks.push(body.slice(i * per, (i + 1) * per));

if (mode === 'append' || mode === 'marker' || mode === 'tmp-rename') {
  const target = mode === 'tmp-rename' ? `${path}.tmp` : path;
  writeFileSync(target, header);
  for (const chunk of chunks) {
    await sleep(pause);
    appendFileSync(target, chunk);
  }
  if (mode === 'tmp-rename') renameSync(target, path);
  if (mode === 'marker') {
    await sleep(pause);
    writeFileSync(`${path}.done`, '');
  }
} else if (mode === 'preallocate') {
  const content = Buffer.from(header + body);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, content.length);
  let offset = 0;
  const parts = [content.subarray(0, Buffer.byteLength(header)), ...chunks.map((c) => Buffer.from(c))];
  for (const part of parts) {
    await sleep(pause);
    writeSync(fd, part, 0, part.length, offset);
    offset += part.length;
  }
  await sleep(pause);
  closeSync(fd);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
