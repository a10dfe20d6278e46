/**
 * One RFC 4180 writer for both rejects sidecars (issue 12 §3): the report beside a loaded file
 * (from the ingestion's result) and the one beside a failed file (from the rejects the database
 * recorded) write the same row the same way: an empty value is `""`, a missing one empty.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, workspace, writeCsv } from './helpers.js';

async function sidecar(dir: string): Promise<string> {
  const name = (await readdir(dir)).find((n) => n.endsWith('.rejects.csv'));
  if (name === undefined) throw new Error(`no NAME.rejects.csv in ${dir}`);
  return readFile(join(dir, name), 'utf8');
}

describe('NAME.rejects.csv', () => {
  it('is written the same way beside a loaded file and beside a failed one, an empty value as ""', async () => {
    const ws = await workspace();
    await writeFile(
      join(ws.dir, 'refdata.config.json'),
      JSON.stringify({
        datasets: {
          tolerant: { keyColumns: ['code'], maxErrors: 1 },
          strict: { keyColumns: ['code'], maxErrors: 0 },
        },
      }),
    );
    // Line 3 has an empty key: rejected with the value "" (the empty text of the cell).
    await writeCsv(join(ws.incoming, 'tolerant.csv'), 'code,name', ['A,x', ',"y, z"', 'B,w']);
    await writeCsv(join(ws.incoming, 'strict.csv'), 'code,name', ['A,x', ',"y, z"', 'B,w']);
    const r = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 archived, 1 failed');

    const loaded = await sidecar(join(ws.root, 'archive'));
    const failed = await sidecar(join(ws.root, 'failed'));
    expect(loaded).toBe(failed);
    expect(loaded).toBe(
      'line,column,value,reason,raw\n' + '3,code,"",empty or NULL value in a column that must have one,",""y, z"""\n',
    );
  });
});
