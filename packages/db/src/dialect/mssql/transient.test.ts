// Which SQL Server and socket errors are retried (one test per classifier entry).
import { describe, expect, it } from 'vitest';
import {
  classifyMssqlError,
  serverNotAcceptingLogins,
  TRANSIENT_SERVER_ERRORS,
  TRANSIENT_SOCKET_CODES,
} from './transient.js';

const requestError = (number: number): Error =>
  Object.assign(new Error(`server error ${number}`), { name: 'RequestError', code: 'EREQUEST', number, state: 1 });

describe('classifyMssqlError', () => {
  it('lists exactly the researched server error numbers', () => {
    expect(
      Object.keys(TRANSIENT_SERVER_ERRORS)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(
      [
        1205, 1204, 1222, 4060, 4221, 40143, 40197, 40501, 40540, 40613, 42108, 42109, 49918, 49919, 49920, 10928,
        10929, 615, 926,
      ].sort((a, b) => a - b),
    );
  });

  for (const [number, entry] of Object.entries(TRANSIENT_SERVER_ERRORS)) {
    it(`retries server error ${number} (${entry.reason})`, () => {
      expect(classifyMssqlError(requestError(Number(number)))).toBe(entry.throttled ? 'throttled' : 'transient');
    });
  }

  for (const code of TRANSIENT_SOCKET_CODES) {
    it(`retries a socket error ${code}, directly, as the cause of ESOCKET, or named in its message`, () => {
      const socket = Object.assign(new Error(`read ${code}`), { code });
      expect(classifyMssqlError(socket)).toBe('transient');
      expect(
        classifyMssqlError(
          Object.assign(new Error('Connection lost'), { name: 'ConnectionError', code: 'ESOCKET', cause: socket }),
        ),
      ).toBe('transient');
      expect(
        classifyMssqlError(
          Object.assign(new Error(`Connection lost - read ${code}`), { name: 'ConnectionError', code: 'ESOCKET' }),
        ),
      ).toBe('transient');
    });
  }

  it('retries a connect timeout but not a request timeout', () => {
    expect(
      classifyMssqlError(
        Object.assign(new Error('Failed to connect in 15000ms'), { name: 'ConnectionError', code: 'ETIMEOUT' }),
      ),
    ).toBe('transient');
    expect(
      classifyMssqlError(
        Object.assign(new Error('Timeout: Request failed'), { name: 'RequestError', code: 'ETIMEOUT' }),
      ),
    ).toBe('permanent');
  });

  it('unwraps AggregateError and cause chains', () => {
    const inner = requestError(40613);
    expect(classifyMssqlError(new AggregateError([new Error('first attempt'), inner], 'all attempts failed'))).toBe(
      'transient',
    );
    expect(classifyMssqlError(new Error('outer', { cause: new Error('middle', { cause: requestError(40501) }) }))).toBe(
      'throttled',
    );
  });

  it('retries logins refused because the server is starting, stopping or paused, not wrong credentials', () => {
    const login = (message: string, number?: number): Error =>
      Object.assign(new Error(message), { code: 'ELOGIN', ...(number === undefined ? {} : { number }) });
    expect(classifyMssqlError(login('the database system is shutting down'))).toBe('transient');
    expect(classifyMssqlError(login('the database system is starting up'))).toBe('transient');
    expect(classifyMssqlError(login('SQL Server is not ready to accept new client connections.', 17187))).toBe(
      'transient',
    );
    expect(classifyMssqlError(login('Login failed for user. Reason: Server is in script upgrade mode.', 18401))).toBe(
      'transient',
    );
    expect(serverNotAcceptingLogins(login("Login failed for user 'u'.", 18456))).toBe(false);
    expect(classifyMssqlError(login("Login failed for user 'u'.", 18456))).toBe('permanent');
  });

  it('treats everything else as permanent', () => {
    expect(classifyMssqlError(requestError(2627))).toBe('permanent'); // unique key violation
    expect(classifyMssqlError(requestError(18456))).toBe('permanent'); // login failed
    expect(classifyMssqlError(Object.assign(new Error('bad'), { code: 'ELOGIN' }))).toBe('permanent');
    expect(classifyMssqlError(Object.assign(new Error('socket'), { name: 'ConnectionError', code: 'ESOCKET' }))).toBe(
      'permanent',
    );
    expect(classifyMssqlError(new Error('plain'))).toBe('permanent');
    expect(classifyMssqlError(null)).toBe('permanent');
    expect(classifyMssqlError('text')).toBe('permanent');
  });
});
