/**
 * `refdata convert`: one process for many inputs; RFC 4180 output as `DIR/<input name>`;
 * an input that cannot be loaded gets the single line `Application Error`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listNames, runCli, workspace } from './helpers.js';

const DIALECTS = [
  { sep: ',', quote: (s: string) => (s.includes(',') ? `"${s}"` : s) },
  { sep: ';', quote: (s: string) => s },
  { sep: '\t', quote: (s: string) => s },
  { sep: '|', quote: (s: string) => s },
] as const;

describe('refdata convert', () => {
  it('converts a thousand inputs in one process and marks the ones it cannot load', async () => {
    const ws = await workspace();
    const inputs = join(ws.dir, 'in');
    await mkdir(inputs);
    const names: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const d = DIALECTS[i % DIALECTS.length] as (typeof DIALECTS)[number];
      const rows = [['code', 'name', 'amount'].join(d.sep)];
      for (let r = 1; r <= 5; r++) rows.push([`00${r}`, d.quote(`name ${i}, ${r}`), `${r}.5${i % 10}`].join(d.sep));
      const name = `f${String(i).padStart(4, '0')}.csv`;
      await writeFile(join(inputs, name), `${rows.join(i % 3 === 0 ? '\r\n' : '\n')}\n`);
      names.push(name);
    }
    await writeFile(
      join(inputs, 'zz-binary.csv'),
      Buffer.from([
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0xff, 0xfe,
      ]),
    );
    // A quote that nothing closes rejects its row (reported), it no longer fails the file.
    await writeFile(join(inputs, 'zz-unclosed.csv'), 'code,name\n001,"x, y"\n002,"never closed\n003,z\n');
    const all = [...names, 'zz-binary.csv', 'zz-unclosed.csv'];

    const out = join(ws.dir, 'out');
    const r = await runCli(['convert', ...all.map((n) => join(inputs, n)), '--out-dir', out], {
      cwd: ws.dir,
      env: ws.env(),
      timeoutMs: 120_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'converted 1001 of 1002 input(s): 5002 row(s) written, 1 rejected; 1 failed (written as "Application Error")',
    );
    expect(r.stderr).toMatch(/zz-binary\.csv: Application Error — DETECT_/);
    expect(await listNames(out)).toEqual([...all].sort());
    expect(await readFile(join(out, 'zz-binary.csv'), 'utf8')).toBe('Application Error\n');
    expect(r.stderr).toContain(
      'zz-unclosed.csv: 1 row(s) rejected (first: line 3: a quote in this row is never closed',
    );
    expect(await readFile(join(out, 'zz-unclosed.csv'), 'utf8')).toBe('code,name\n001,"x, y"\n003,z\n');
    expect(await readFile(join(out, 'f0000.csv'), 'utf8')).toBe(
      'code,name,amount\n001,"name 0, 1",1.50\n002,"name 0, 2",2.50\n003,"name 0, 3",3.50\n004,"name 0, 4",4.50\n005,"name 0, 5",5.50\n',
    );
    expect(await readFile(join(out, 'f0001.csv'), 'utf8')).toContain('001,"name 1, 1",1.51\n');
  });

  it('writes one input to --out, and refuses --out with several inputs', async () => {
    const ws = await workspace();
    const input = join(ws.dir, 'a.csv');
    await writeFile(input, 'x;y\n1;"a;b"\n');
    const ok = await runCli(['convert', input, '--out', join(ws.dir, 'res', 'a.csv')], { cwd: ws.dir, env: ws.env() });
    expect(ok.code).toBe(0);
    expect(await readFile(join(ws.dir, 'res', 'a.csv'), 'utf8')).toBe('x,y\n1,a;b\n');
    const two = await runCli(['convert', input, input, '--out', join(ws.dir, 'b.csv')], { cwd: ws.dir, env: ws.env() });
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('--out takes one input');
    const none = await runCli(['convert', input], { cwd: ws.dir, env: ws.env() });
    expect(none.code).toBe(2);
  });
});
