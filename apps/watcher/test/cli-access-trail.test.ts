/**
 * The access trail through the CLI: every operation the watcher performs on a file is recorded
 * in the audit table, `refdata show` prints it, and the documented "who touched this file" query
 * answers from the database file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { REPO, runCli, workspace, writeCsv } from './helpers.js';

interface Access {
  operation: string;
  reason?: string;
  name: string;
  from: string;
  to: string | null;
  stage: string;
  instanceId: string;
  user: string;
  at: string;
}

describe('the access trail', () => {
  it('records seen, claim moves, the claim and the settle move; show prints them and the documented query finds them', async () => {
    const ws = await workspace();
    const rows = Array.from({ length: 10 }, (_, i) => `C${i},${i}`);
    await writeCsv(join(ws.incoming, 'codes.csv'), 'code,n', rows);
    const first = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() });
    expect(first.code, first.stderr).toBe(0);

    const json = await runCli(['show', '1', '--json'], { cwd: ws.dir, env: ws.env() });
    expect(json.code, json.stderr).toBe(0);
    const shown = JSON.parse(json.stdout) as { access: Access[]; audit: { step: string }[] };
    expect(shown.access.map((a) => (a.reason === undefined ? a.operation : `${a.operation}:${a.reason}`))).toEqual([
      'seen',
      'moved:claim',
      'claimed',
      'moved:claim',
      'moved:settle',
    ]);
    // The load's steps stay in `audit`; the operations are apart.
    expect(shown.audit.map((a) => a.step)).not.toContain('access');
    const [seen, , , toProcessing, settled] = shown.access;
    expect(seen?.from).toBe(join(ws.incoming, 'codes.csv'));
    expect(toProcessing?.to).toBe(join(ws.root, 'processing', '1--codes.csv'));
    expect(settled?.stage).toBe('archive');
    expect(settled?.to).toMatch(new RegExp(`^${join(ws.root, 'archive')}/codes`));
    for (const a of shown.access) {
      expect(a.name).toBe('codes.csv');
      expect(a.user).not.toBe('');
      expect(a.instanceId).toMatch(/:\d+:/);
      expect(Number.isNaN(Date.parse(a.at))).toBe(false);
    }

    const text = await runCli(['show', '1'], { cwd: ws.dir, env: ws.env() });
    expect(text.stdout).toContain('Access trail');
    expect(text.stdout).toMatch(/moved \(settle\)/);
    expect(text.stdout).toContain(`${seen?.user}@${seen?.instanceId}`);

    // A smaller file of the same name is held, then released by the operator: that move is recorded too.
    await writeCsv(join(ws.incoming, 'codes.csv'), 'code,n', rows.slice(0, 2));
    const second = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() });
    expect(second.stdout).toContain('refdata release 2');
    const release = await runCli(['release', '2'], { cwd: ws.dir, env: ws.env() });
    expect(release.code, release.stderr).toBe(0);
    const heldShow = JSON.parse((await runCli(['show', '2', '--json'], { cwd: ws.dir, env: ws.env() })).stdout) as {
      access: Access[];
    };
    expect(heldShow.access.map((a) => `${a.operation}:${a.reason ?? ''}:${a.stage}`).slice(-2)).toEqual([
      'moved:settle:held',
      'moved:release:archive',
    ]);
    expect(heldShow.access.at(-1)?.instanceId).toMatch(/:cli$/);

    // The README's query: who touched codes.csv, across both files.
    const sql = await readFile(join(REPO, 'docs', 'sql', 'who-touched-this-file.sqlite.sql'), 'utf8');
    const db = new Sqlite(ws.dbPath, { readonly: true });
    try {
      const found = db.prepare(sql).all({ name: 'codes.csv' }) as {
        file_id: number;
        operation: string;
        os_user: string;
      }[];
      expect(found.length).toBe(shown.access.length + heldShow.access.length);
      expect(new Set(found.map((f) => f.file_id))).toEqual(new Set([1, 2]));
      expect(found.every((f) => f.os_user === seen?.user)).toBe(true);
      expect(db.prepare(sql).all({ name: 'other.csv' })).toEqual([]);
    } finally {
      db.close();
    }
  });
});
