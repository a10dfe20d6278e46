import { describe, expect, it } from 'vitest';
import { createRootLogger } from './logger.js';
import { SecretScrubber } from './secrets.js';

const SECRET = 'Sup3r-Secret!pw';

function memoryLogger(level: 'info' | 'debug' = 'info') {
  const lines: string[] = [];
  const scrubber = new SecretScrubber();
  scrubber.add(SECRET);
  const logger = createRootLogger({ level, sink: { write: (s: string) => lines.push(s) }, scrubber });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createRootLogger', () => {
  it('writes one JSON object per line, object first and message second', () => {
    const { logger, parsed } = memoryLogger();
    logger.info({ table: 'currencies', rows: 10 }, 'load committed');
    expect(parsed()).toEqual([
      expect.objectContaining({ level: 30, table: 'currencies', rows: 10, msg: 'load committed' }),
    ]);
  });

  it('redacts secret fields at the paths of STYLE.md, including nested driver options', () => {
    const { logger, lines, parsed } = memoryLogger();
    logger.info({
      password: SECRET,
      db: { password: SECRET, user: 'sa' },
      authentication: { options: { password: SECRET, userName: 'sa' } },
      config: { authentication: { options: { password: SECRET } } },
      connectionString: `Server=h;User Id=sa;Password=${SECRET}`,
      session: { token: SECRET },
    });
    const [line] = parsed();
    expect(line).toMatchObject({
      password: '[REDACTED]',
      db: { password: '[REDACTED]', user: 'sa' },
      authentication: { options: { password: '[REDACTED]', userName: 'sa' } },
      config: { authentication: { options: { password: '[REDACTED]' } } },
      connectionString: '[REDACTED]',
      session: { token: '[REDACTED]' },
    });
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('scrubs a known secret from messages, errors and child bindings', () => {
    const { logger, lines } = memoryLogger('debug');
    const err = new Error(`Login failed for user 'sa' with password ${SECRET}`);
    logger
      .child({ url: `mssql://sa:${encodeURIComponent(SECRET)}@db:1433/ref` })
      .error({ err }, `cannot connect: ${SECRET}`);
    logger.debug({ note: { nested: { deeper: `text with ${SECRET}` } } });
    const text = lines.join('');
    expect(text).toContain('[REDACTED]');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(encodeURIComponent(SECRET));
  });

  it('prints readable lines when pretty, still without secrets', () => {
    const lines: string[] = [];
    const scrubber = new SecretScrubber();
    scrubber.add(SECRET);
    const logger = createRootLogger({ pretty: true, sink: { write: (s: string) => lines.push(s) }, scrubber });
    logger.warn({ password: SECRET, table: 'currencies' }, `retrying ${SECRET}`);
    expect(lines.join('')).toMatch(/WARN.*retrying \[REDACTED\]/);
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.join('')).not.toContain('\u001b[');
  });
});
