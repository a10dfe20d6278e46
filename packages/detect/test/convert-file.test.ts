import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, symlinkSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';
import { convertFile } from '../src/index.js';

const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;

async function tempDir(): Promise<string> {
  const { dir, cleanup } = await makeTempDir('detect-convert-');
  onTestFinished(cleanup);
  return dir;
}

describe('convertFile', () => {
  it('writes RFC 4180 with quotes only where needed and the cell text as it was', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out.csv');
    const result = await convertFile(fixture('semicolon-decimal-comma.csv'), out);
    expect(result.rowsWritten).toBe(4);
    expect(result.rowsRejected).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(
      'Artikel,Preis,Menge\nTisch,"1.234,56",3\nStuhl,"45,90",12\nLampe,"0,99",100\nSchrank,"12.000,00",1\n',
    );
  });

  it('keeps a quoted empty field quoted and an unquoted empty field empty', async () => {
    const dir = await tempDir();
    const input = join(dir, 'blanks.csv');
    const out = join(dir, 'out.csv');
    await writeFile(input, 'code;name;note\nA;"";\nB;;""\n');
    await convertFile(input, out);
    expect(await readFile(out, 'utf8')).toBe('code,name,note\nA,"",\nB,,""\n');
  });

  it('writes every row of files joined together once, under one header, and says which lines it skipped', async () => {
    const dir = await tempDir();
    const input = join(dir, 'joined.csv');
    const out = join(dir, 'out.csv');
    await writeFile(input, '\ufeffcode;name\r\nA;x\r\nB;y\r\n\ufeffcode;name\r\nC;z\r\n');
    const result = await convertFile(input, out);
    expect(await readFile(out, 'utf8')).toBe('code,name\nA,x\nB,y\nC,z\n');
    expect(result.rowsWritten).toBe(3);
    expect(result.warnings.join('\n')).toContain(
      '1 line skipped, an exact copy of the header (files joined together): line 4',
    );
  });

  it('unescapes quotes and keeps line breaks inside fields', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out.csv');
    await convertFile(fixture('quoted-newlines.csv'), out);
    expect(await readFile(out, 'utf8')).toBe(
      'id,comment,n\n1,"line one\nline two",5\n2,"say ""hi""",6\n3,"a, b\r\nc",7\n4,plain,8\n',
    );
  });

  it('decodes Windows-1252 and writes UTF-8 without the preamble', async () => {
    const dir = await tempDir();
    const cp = join(dir, 'cp.csv');
    await convertFile(fixture('windows-1252.csv'), cp);
    expect(await readFile(cp, 'utf8')).toBe('city,price\nCafé,€ 3\nParis,€ 4\n');
    const pre = join(dir, 'pre.csv');
    await convertFile(fixture('preamble.csv'), pre);
    expect(await readFile(pre, 'utf8')).toBe(
      'code,rate,date\nEUR,1.0850,2025-01-31\nGBP,0.8412,2025-01-31\nJPY,161.23,2025-01-31\n',
    );
  });

  it('rejects rows of another width with their line instead of guessing', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out.csv');
    const result = await convertFile(fixture('comma-space.csv'), out);
    expect(result.rowsWritten).toBe(2);
    expect(result.rowsRejected).toBe(1);
    expect(result.rejects).toEqual([{ line: 3, reason: 'has 4 fields, expected 3', raw: '2, Bob, Lyon, France' }]);
    expect(await readFile(out, 'utf8')).toBe('id,name,city\n1,Alice,Paris\n3,Carol,Nice\n');
  });

  it('fails past maxErrors and leaves no partial output', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out.csv');
    await expect(convertFile(fixture('comma-space.csv'), out, { maxErrors: 0 })).rejects.toMatchObject({
      code: 'DETECT_TOO_MANY_REJECTS',
      line: 3,
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps a headerless input headerless', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out.csv');
    const result = await convertFile(fixture('no-header.csv'), out);
    expect(result.format?.headerRows.value).toBe(0);
    expect((await readFile(out, 'utf8')).split('\n')[0]).toBe('1,EUR,1.0850,2025-01-31');
  });

  it('turns an empty input into an empty output', async () => {
    const dir = await tempDir();
    const input = join(dir, 'empty.csv');
    await writeFile(input, '');
    const out = join(dir, 'out.csv');
    const result = await convertFile(input, out);
    expect(result.format).toBeNull();
    expect(await readFile(out, 'utf8')).toBe('');
  });

  it('rejects the row of a quote that nothing closes and converts the others', async () => {
    const dir = await tempDir();
    const input = join(dir, 'stray.csv');
    const out = join(dir, 'out.csv');
    await writeFile(input, 'id,name\n1,"a, b"\n2,"never closed\n3,c\n');
    const result = await convertFile(input, out);
    expect(result.rejects).toEqual([
      {
        line: 3,
        reason:
          'a quote in this row is never closed (the row may be cut short); if quotes are data in this file, set the quote override to null',
        raw: '2,"never closed',
      },
    ]);
    expect(await readFile(out, 'utf8')).toBe('id,name\n1,"a, b"\n3,c\n');
  });

  it('throws a DetectError for an input that cannot be loaded', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out.csv');
    const input = join(dir, 'image.csv');
    await writeFile(input, Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    await expect(convertFile(input, out)).rejects.toMatchObject({ code: 'DETECT_BINARY_FILE' });
    expect(existsSync(out)).toBe(false);
  });

  it('fails a file with a single 50 MB field clearly, past maxFieldSize', async () => {
    const dir = await tempDir();
    const input = join(dir, 'blob.csv');
    const out = join(dir, 'out.csv');
    const { open } = await import('node:fs/promises');
    const handle = await open(input, 'w');
    await handle.write('id,blob\n1,"');
    const part = Buffer.alloc(1 << 20, 'y');
    for (let i = 0; i < 50; i += 1) await handle.write(part);
    await handle.write('"\n');
    await handle.close();
    await expect(convertFile(input, out, { maxFieldSize: 8 << 20 })).rejects.toMatchObject({
      code: 'DETECT_FIELD_TOO_LARGE',
      line: 2,
      message: expect.stringContaining('raise maxFieldSize'),
    });
    expect(existsSync(out)).toBe(false);
  });

  it('logs through the given logger', async () => {
    const dir = await tempDir();
    const lines: { level: string; obj: object; msg?: string }[] = [];
    const logger = {
      debug: (obj: object, msg?: string) => lines.push({ level: 'debug', obj, ...(msg ? { msg } : {}) }),
      info: (obj: object, msg?: string) => lines.push({ level: 'info', obj, ...(msg ? { msg } : {}) }),
      warn: (obj: object, msg?: string) => lines.push({ level: 'warn', obj, ...(msg ? { msg } : {}) }),
      error: (obj: object, msg?: string) => lines.push({ level: 'error', obj, ...(msg ? { msg } : {}) }),
      child: () => logger,
    };
    await convertFile(fixture('pipe.txt'), join(dir, 'out.csv'), { logger });
    expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual(['debug format detected', 'info converted']);
    expect(lines[0]?.obj).toMatchObject({ delimiter: '|', columns: 3 });
  });

  it('writes into a Writable it leaves open, into a named pipe in place, and through a symbolic link onto its target', async () => {
    const dir = await tempDir();
    const input = join(dir, 'in.csv');
    await writeFile(input, 'code;name\nA;Alpha\nB;Beta\n');
    const expected = 'code,name\nA,Alpha\nB,Beta\n';
    // A Writable: written to, not ended.
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    });
    const result = await convertFile(input, sink);
    expect(result.output).toBe('-');
    expect(chunks.join('')).toBe(expected);
    expect(sink.writableEnded).toBe(false);
    // A FIFO stays a FIFO (a rename would have replaced it with a regular file).
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const [, read] = await Promise.all([convertFile(input, fifo), readFile(fifo, 'utf8')]);
    expect(read).toBe(expected);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    // A symbolic link stays a link; its target gets the output.
    const target = join(dir, 'target.csv');
    await writeFile(target, 'old\n');
    const link = join(dir, 'link.csv');
    symlinkSync(target, link);
    await convertFile(input, link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe(expected);
    expect(readdirSync(dir).sort()).toEqual(['in.csv', 'link.csv', 'pipe', 'target.csv']);
  });
});
