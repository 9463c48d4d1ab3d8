import { describe, expect, it } from 'vitest';
import { parseTimerSchedule, ScheduleError, timerTimeZone } from '../../../../host/triggers/timerSchedule';

const at = (iso: string): Date => new Date(iso);

describe('timer schedules as the Functions host reads them', () => {
  it('reads six NCRONTAB fields, seconds first', () => {
    const schedule = parseTimerSchedule('*/15 * * * * *', 'UTC');
    expect(schedule.next(at('2026-01-01T10:00:01Z')).toISOString()).toBe('2026-01-01T10:00:15.000Z');
    expect(schedule.atMostOncePerMinute).toBe(false);
  });

  it('reads five fields as whole minutes', () => {
    const schedule = parseTimerSchedule('30 3 * * *', 'UTC');
    expect(schedule.next(at('2026-01-01T10:00:00Z')).toISOString()).toBe('2026-01-02T03:30:00.000Z');
    expect(schedule.atMostOncePerMinute).toBe(true);
  });

  it('fires in WEBSITE_TIME_ZONE when one is set', () => {
    const schedule = parseTimerSchedule('0 0 3 * * *', 'Europe/Amsterdam');
    // 03:00 in Amsterdam in winter is 02:00 UTC.
    expect(schedule.next(at('2026-01-01T10:00:00Z')).toISOString()).toBe('2026-01-02T02:00:00.000Z');
  });

  it('requires both the day of month and the day of week to match, as NCRONTAB does', () => {
    // The 13th that is a Friday: 2026-02-13.
    const schedule = parseTimerSchedule('0 0 0 13 * FRI', 'UTC');
    expect(schedule.next(at('2026-01-01T00:00:00Z')).toISOString()).toBe('2026-02-13T00:00:00.000Z');
  });

  it('reads the TimeSpan form as an interval', () => {
    const schedule = parseTimerSchedule('00:05:00', 'UTC');
    expect(schedule.next(at('2026-01-01T10:00:07Z')).toISOString()).toBe('2026-01-01T10:05:07.000Z');
    expect(schedule.atMostOncePerMinute).toBe(true);
    expect(parseTimerSchedule('1.00:00:00', 'UTC').next(at('2026-01-01T00:00:00Z')).toISOString()).toBe(
      '2026-01-02T00:00:00.000Z',
    );
  });

  it.each([
    ['0 0 25 * * *', /hour/],
    ['* * * *', /has 6 fields .* not 4/],
    ['0 0 0 1 1 * 2027', /not 7/],
    ['@daily', /not 1/],
    ['0 0 0 L * *', /"L" is not NCRONTAB/],
    ['0 0 0 ? * MON', /"\?" is not NCRONTAB/],
    ['00:61:00', /positive d.hh:mm:ss interval/],
  ])('refuses %s', (text, reason) => {
    expect(() => parseTimerSchedule(text, 'UTC')).toThrow(ScheduleError);
    expect(() => parseTimerSchedule(text, 'UTC')).toThrow(reason);
  });

  it('uses UTC unless WEBSITE_TIME_ZONE names an IANA zone', () => {
    expect(timerTimeZone({})).toBe('UTC');
    expect(timerTimeZone({ WEBSITE_TIME_ZONE: 'America/New_York' })).toBe('America/New_York');
    expect(() => timerTimeZone({ WEBSITE_TIME_ZONE: 'Eastern Standard Time' })).toThrow(/not an IANA time zone/);
  });
});
