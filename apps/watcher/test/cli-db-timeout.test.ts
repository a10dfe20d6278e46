/**
 * An unreachable SQL Server fails a command within DB_CONNECT_TIMEOUT (documented in the README's
 * configuration table), whatever makes it unreachable, and `health` does not call the queue fine
 * when it cannot see the database (issue 15, item 13). Only loopback addresses are contacted.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli, workspace } from './helpers.js';

/** A TCP port on 127.0.0.1 with nothing listening (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Nothing here may take the old 60-plus seconds: the process is killed after 40 s. */
const KILL_AFTER_MS = 40_000;

describe('an unreachable SQL Server', () => {
  it.each([
    ['a host name that cannot be resolved', async () => 'mssql://loader@nosuchhost.invalid/refdata'],
    ['a closed port', async () => `mssql://loader@127.0.0.1:${await closedPort()}/refdata`],
    ['a named instance on a host without SQL Browser', async () => 'mssql://loader@127.0.0.1%5CNOSUCH/refdata'],
    ['an unresolvable host with a named instance', async () => 'mssql://loader@nosuchhost.invalid%5CNOSUCH/refdata'],
  ])('behind %s fails with exit 4 within DB_CONNECT_TIMEOUT', async (_what, url) => {
    const ws = await workspace();
    const r = await runCli(['tables', '--db', await url()], {
      cwd: ws.dir,
      env: ws.env({ db_password: 'not-used', DB_CONNECT_TIMEOUT: '2', LOG_LEVEL: 'error' }),
      timeoutMs: KILL_AFTER_MS,
    });
    expect(r.signal, 'killed: the command did not end within its bound').toBeNull();
    expect(r.code, r.stderr).toBe(4);
    // Either the driver gave up on its own, or the deadline said so, naming the setting.
    expect(r.stderr).toMatch(/DB_UNAVAILABLE|did not answer within 2 s \(DB_CONNECT_TIMEOUT/);
  });

  it('that never answers is reported with the bound and the setting to raise', async () => {
    const ws = await workspace();
    const r = await runCli(['files', '--db', 'mssql://loader@127.0.0.1%5CNOSUCH/refdata'], {
      cwd: ws.dir,
      env: ws.env({ db_password: 'not-used', DB_CONNECT_TIMEOUT: '2', LOG_LEVEL: 'error' }),
      timeoutMs: KILL_AFTER_MS,
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('APP_DB_TIMEOUT');
    expect(r.stderr).toContain('did not answer within 2 s (DB_CONNECT_TIMEOUT');
  });

  it('makes health report the queue and the last success as unknown, not ok', async () => {
    const ws = await workspace();
    expect((await runCli(['init'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    const env = ws.env({
      REFDATA_DB: `mssql://loader@127.0.0.1:${await closedPort()}/refdata`,
      db_password: 'not-used',
      DB_MAX_RETRIES: '0',
      DB_CONNECT_TIMEOUT: '2',
    });
    const human = await runCli(['health'], { cwd: ws.dir, env, timeoutMs: KILL_AFTER_MS });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/database\s.*FAIL/);
    expect(human.stdout).toMatch(/queue depth\s.*unknown/);
    expect(human.stdout).not.toMatch(/queue depth\s+│ ok/);
    expect(human.stderr).toContain('queue depth, last success unknown');
    const json = await runCli(['health', '--json'], { cwd: ws.dir, env, timeoutMs: KILL_AFTER_MS });
    const report = JSON.parse(json.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'queue depth')).toMatchObject({ ok: false, unknown: true });
    expect(report.checks.find((c) => c.name === 'last success')).toMatchObject({ ok: false, unknown: true });
  });
});
