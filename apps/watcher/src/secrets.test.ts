import { describe, expect, it } from 'vitest';
import { maskUrl, resolveDbUrl } from './db-url.js';
import { REDACTED, SecretScrubber, scrubbingSink } from './secrets.js';

describe('SecretScrubber', () => {
  it('replaces raw, URL-encoded and JSON-escaped forms of a registered secret', () => {
    const s = new SecretScrubber();
    s.add('p@ss"w\\rd/1');
    expect(s.scrub('a p@ss"w\\rd/1 b')).toBe(`a ${REDACTED} b`);
    expect(s.scrub(`u=${encodeURIComponent('p@ss"w\\rd/1')}`)).toBe(`u=${REDACTED}`);
    expect(s.scrub(JSON.stringify({ m: 'p@ss"w\\rd/1' }))).toBe(`{"m":"${REDACTED}"}`);
  });

  it('masks URL passwords and password= pairs it was never told about', () => {
    const s = new SecretScrubber();
    expect(s.scrub('mssql://sa:unknown1@db:1433/x')).toBe(`mssql://sa:${REDACTED}@db:1433/x`);
    expect(s.scrub('Server=db;Password=abc;Database=x')).toBe(`Server=db;Password=${REDACTED};Database=x`);
    expect(s.scrub('pwd="a;b"')).toBe(`pwd=${REDACTED}`);
  });

  it('masks a URL password that holds an unencoded @ whole, up to the last @ before the host', () => {
    const s = new SecretScrubber();
    expect(s.scrub('Invalid database URL "mssql://sa:Url-P4ss@word!@[bad": it is not')).toBe(
      `Invalid database URL "mssql://sa:${REDACTED}@[bad": it is not`,
    );
    expect(s.scrub('mssql://sa:a@b@c@db.example:1433/x?encrypt=true and more')).toBe(
      `mssql://sa:${REDACTED}@db.example:1433/x?encrypt=true and more`,
    );
  });

  it('ignores secrets too short to scrub without garbling every message', () => {
    const s = new SecretScrubber();
    s.add('ab');
    s.add(undefined);
    expect(s.size).toBe(0);
    expect(s.scrub('abc')).toBe('abc');
  });

  it('wraps a sink', () => {
    const s = new SecretScrubber();
    s.add('hunter22');
    const seen: string[] = [];
    scrubbingSink({ write: (c: string) => seen.push(c) }, s).write('x hunter22 y');
    expect(seen).toEqual([`x ${REDACTED} y`]);
  });
});

describe('resolveDbUrl', () => {
  it('defaults to the embedded SQLite file', () => {
    expect(resolveDbUrl(undefined)).toEqual({
      dialect: 'sqlite',
      url: 'sqlite:./data/refdata.db',
      display: 'sqlite:./data/refdata.db',
      sqlitePath: './data/refdata.db',
    });
    expect(resolveDbUrl('sqlite::memory:').sqlitePath).toBeUndefined();
  });

  it('splits the password off a SQL Server URL', () => {
    const r = resolveDbUrl('mssql://loader:s%40cret@db.example:1433/refdata?encrypt=true');
    expect(r).toEqual({
      dialect: 'mssql',
      url: 'mssql://loader@db.example:1433/refdata?encrypt=true',
      display: 'mssql://loader@db.example:1433/refdata?encrypt=true',
      password: 's@cret',
    });
  });

  it('takes the password from db_password and fills user and database from the seed variables', () => {
    const r = resolveDbUrl('mssql://db.example', { user: 'loader', name: 'refdata', password: 'pw-123' });
    expect(r.url).toBe('mssql://loader@db.example/refdata');
    expect(r.password).toBe('pw-123');
  });

  it('rejects other schemes with a message that does not repeat the password', () => {
    expect(() => resolveDbUrl('mysql://root:rootpw@h/db')).toThrow(
      expect.objectContaining({ code: 'APP_CONFIG_INVALID', message: expect.not.stringContaining('rootpw') }),
    );
    expect(maskUrl('mysql://root:rootpw@h/db')).toBe(`mysql://root:${REDACTED}@h/db`);
  });
});

describe('SecretScrubber.addFile', () => {
  it('scrubs the content of a password file, and the new content once the file is rotated', async () => {
    const { mkdtemp, rename, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'refdata-scrub-'));
    try {
      const file = join(dir, 'db_password');
      await writeFile(file, 'Old-Secret-1\n');
      const scrubber = new SecretScrubber();
      scrubber.addFile(file);
      expect(scrubber.scrub('a Old-Secret-1 b')).toBe('a [REDACTED] b');
      await writeFile(`${file}.new`, 'New-Secret-2');
      await rename(`${file}.new`, file);
      expect(scrubber.scrub('x New-Secret-2 y Old-Secret-1')).toBe('x [REDACTED] y [REDACTED]');
      await rm(file);
      expect(scrubber.scrub('New-Secret-2')).toBe('[REDACTED]');
      scrubber.addFile(undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
