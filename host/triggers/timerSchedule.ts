import { Cron } from 'croner';

/** When a timer trigger fires next, from a schedule the Functions host accepts. */
export interface TimerSchedule {
  readonly text: string;
  next(after: Date): Date;
  /** Whether it fires at most once a minute (the host monitors such schedules by default). */
  readonly atMostOncePerMinute: boolean;
}

/** A schedule the host refuses, with the reason in words. */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

// NCRONTAB fields hold numbers, *, ranges, steps, lists and three-letter month/day names. Croner
// also reads Quartz extensions (L, W, #, ?) and nicknames (@daily) that NCRONTAB refuses.
const NCRONTAB_FIELD =
  /^(?:\*|\d+|[A-Za-z]{3})(?:-(?:\d+|[A-Za-z]{3}))?(?:\/\d+)?(?:,(?:\*|\d+|[A-Za-z]{3})(?:-(?:\d+|[A-Za-z]{3}))?(?:\/\d+)?)*$/;
// The TimeSpan form: hh:mm:ss or d.hh:mm:ss, an interval rather than a calendar.
const TIME_SPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/;

function intervalSchedule(text: string, match: RegExpExecArray): TimerSchedule {
  const [, days, hours, minutes, seconds] = match;
  const ms = ((Number(days ?? 0) * 24 + Number(hours)) * 60 * 60 + Number(minutes) * 60 + Number(seconds)) * 1000;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59 || ms <= 0)
    throw new ScheduleError('a TimeSpan schedule must be a positive d.hh:mm:ss interval');
  return { text, next: (after) => new Date(after.getTime() + ms), atMostOncePerMinute: ms >= 60_000 };
}

/**
 * Reads an NCRONTAB expression as the Functions host does: six fields starting with seconds
 * (five fields mean whole minutes), in the given IANA time zone; or the TimeSpan form.
 */
export function parseTimerSchedule(text: string, timeZone: string): TimerSchedule {
  const trimmed = text.trim();
  const span = TIME_SPAN.exec(trimmed);
  if (span) return intervalSchedule(trimmed, span);
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6)
    throw new ScheduleError(
      `an NCRONTAB schedule has 6 fields (second minute hour day month day-of-week), not ${fields.length}`,
    );
  const bad = fields.find((field) => !NCRONTAB_FIELD.test(field));
  if (bad !== undefined) throw new ScheduleError(`the field "${bad}" is not NCRONTAB`);
  let cron: Cron;
  try {
    // NCRONTAB requires both the day of month and the day of week to match (croner's default is either).
    cron = new Cron(fields.join(' '), {
      timezone: timeZone,
      paused: true,
      domAndDow: true,
      mode: fields.length === 6 ? '6-part' : '5-part',
    });
  } catch (error) {
    throw new ScheduleError((error as Error).message.replace(/^CronPattern: /, ''));
  }
  const next = (after: Date): Date => {
    const at = cron.nextRun(after);
    if (!at) throw new ScheduleError('the schedule never fires');
    return at;
  };
  const first = next(new Date());
  const second = next(first);
  return { text: trimmed, next, atMostOncePerMinute: second.getTime() - first.getTime() >= 60_000 };
}

/** `WEBSITE_TIME_ZONE` as an IANA zone (the Linux form); UTC when unset. */
export function timerTimeZone(env: NodeJS.ProcessEnv): string {
  const zone = env.WEBSITE_TIME_ZONE?.trim();
  if (!zone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new ScheduleError(`WEBSITE_TIME_ZONE "${zone}" is not an IANA time zone such as Europe/Amsterdam`);
  }
  return zone;
}
