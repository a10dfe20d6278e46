/** MonitorError, its codes and the isMonitorError guard. */
import { describe, expect, it } from 'vitest';
import { isMonitorError, MonitorError, MonitorErrorCode } from './errors.js';

describe('MonitorError', () => {
  it('carries a stable code, the path and the cause', () => {
    const cause = new Error('EACCES');
    const err = new MonitorError(MonitorErrorCode.MoveFailed, 'cannot move', { cause, path: '/x' });
    expect(err).toMatchObject({ name: 'MonitorError', code: 'MONITOR_MOVE_FAILED', path: '/x', cause });
    expect(isMonitorError(err)).toBe(true);
  });

  it('recognises structural copies and rejects other errors', () => {
    expect(isMonitorError({ name: 'MonitorError', code: 'MONITOR_STOPPED', message: '' })).toBe(true);
    expect(isMonitorError(Object.assign(new Error('x'), { code: 'MONITOR_STOPPED' }))).toBe(false);
    expect(isMonitorError({ name: 'MonitorError', code: 'DB_X' })).toBe(false);
    expect(isMonitorError(null)).toBe(false);
  });

  it('prefixes every code with MONITOR_', () => {
    for (const code of Object.values(MonitorErrorCode)) expect(code).toMatch(/^MONITOR_[A-Z_]+$/);
  });
});
