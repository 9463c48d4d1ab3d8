import { FunctionIndexingError } from '../app/functionErrors';
import type { FunctionRegistry, RegisteredFunction } from '../app/functionRegistry';
import { StartupError } from '../config/startupError';
import type { Clock } from '../durable/engine/clock';
import type { TimerScheduler } from '../durable/engine/timerScheduler';
import { failureLine, type TriggerInvocations } from './triggerInvocations';
import { parseTimerSchedule, ScheduleError, timerTimeZone, type TimerSchedule } from './timerSchedule';
import type { ScheduleStatus, TimerStatusStore } from './timerStatusStore';

interface TimerFunction {
  fn: RegisteredFunction;
  schedule: TimerSchedule;
  runOnStartup: boolean;
  useMonitor: boolean;
  status: ScheduleStatus | undefined;
}

function statusJson(status: ScheduleStatus | undefined): Record<string, string> | null {
  if (!status) return null;
  return {
    Last: status.last ? status.last.toISOString() : '0001-01-01T00:00:00',
    Next: status.next.toISOString(),
    LastUpdated: status.lastUpdated.toISOString(),
  };
}

/**
 * Runs timer-triggered functions as the Functions host does: on an NCRONTAB (or TimeSpan)
 * schedule in UTC unless WEBSITE_TIME_ZONE says otherwise, once at start with `runOnStartup`,
 * and with the schedule monitor (`useMonitor`) once at start when an occurrence passed while
 * the host was down (`isPastDue`). One invocation of a function at a time; the next occurrence
 * is armed after it ends. Occurrences use the durable clock, so time skipping moves them too.
 */
export class TimerTriggers {
  private readonly timers: TimerFunction[];
  private stopped = false;

  constructor(
    registry: FunctionRegistry,
    functions: RegisteredFunction[],
    private readonly services: {
      scheduler: TimerScheduler;
      clock: Clock;
      statusStore: TimerStatusStore;
      invocations: TriggerInvocations;
      env: NodeJS.ProcessEnv;
    },
  ) {
    let timeZone: string;
    try {
      timeZone = timerTimeZone(services.env);
    } catch (error) {
      throw new StartupError((error as Error).message);
    }
    this.timers = registry.setUp(functions, (fn) => {
      const binding = fn.metadata.bindings[fn.triggerBindingName];
      const text = typeof binding.schedule === 'string' ? binding.schedule : '';
      let schedule: TimerSchedule;
      try {
        schedule = parseTimerSchedule(resolveSetting(text, services.env), timeZone);
      } catch (error) {
        const reason = error instanceof ScheduleError ? error.message : String(error);
        throw new FunctionIndexingError(fn.name, `the timer schedule "${text}" is not valid: ${reason}.`);
      }
      return {
        fn,
        schedule,
        runOnStartup: binding.runOnStartup === true,
        // The host monitors schedules that fire at most once a minute unless told otherwise.
        useMonitor: typeof binding.useMonitor === 'boolean' ? binding.useMonitor : schedule.atMostOncePerMinute,
        status: undefined,
      };
    });
  }

  async start(): Promise<void> {
    for (const timer of this.timers) {
      const now = this.services.clock.now();
      let pastDue = false;
      if (timer.useMonitor) {
        const stored = await this.services.statusStore.read(timer.fn.name).catch((error: unknown) => {
          this.services.invocations.logger.warn(
            `Function '${timer.fn.name}': the schedule status could not be read (${String(error)}); starting afresh.`,
          );
          return undefined;
        });
        if (stored) {
          // A changed schedule moves the expected occurrence; the host checks against that one.
          const expected = timer.schedule.next(stored.last ?? stored.lastUpdated);
          timer.status = { ...stored, next: expected };
          pastDue = now.getTime() > expected.getTime();
        } else {
          timer.status = { last: undefined, next: timer.schedule.next(now), lastUpdated: now };
          await this.saveStatus(timer);
        }
      }
      if (pastDue && timer.status) {
        const missed = timer.status.next;
        this.services.invocations.logger.info(
          `Function '${timer.fn.name}' is past due: its occurrence at ${missed.toISOString()} passed while the host was down.`,
        );
        void this.run(timer, { isPastDue: true, occurrence: missed });
      } else if (timer.runOnStartup) {
        void this.run(timer, { isPastDue: false, occurrence: undefined });
      } else {
        this.arm(timer, timer.status?.next ?? timer.schedule.next(now));
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private arm(timer: TimerFunction, at: Date): void {
    if (this.stopped) return;
    this.services.scheduler.arm(at, () => void this.run(timer, { isPastDue: false, occurrence: at }));
  }

  /** `occurrence` is the scheduled time this run stands for; undefined for runOnStartup, which records nothing. */
  private async run(timer: TimerFunction, how: { isPastDue: boolean; occurrence: Date | undefined }): Promise<void> {
    if (this.stopped) return;
    const { invoker, tracker, logger } = this.services.invocations;
    await tracker.track(async () => {
      const timerInfo = {
        Schedule: { AdjustForDST: true },
        ScheduleStatus: statusJson(timer.status),
        IsPastDue: how.isPastDue,
      };
      try {
        await invoker.invoke({
          fn: timer.fn,
          trigger: { json: JSON.stringify(timerInfo) },
        });
      } catch (error) {
        logger.error(failureLine(timer.fn, error));
      }
      const now = this.services.clock.now();
      const next = timer.schedule.next(now);
      if (timer.useMonitor && how.occurrence) {
        timer.status = { last: how.occurrence, next, lastUpdated: now };
        await this.saveStatus(timer);
      }
      this.arm(timer, next);
    });
  }

  private async saveStatus(timer: TimerFunction): Promise<void> {
    if (!timer.status) return;
    await this.services.statusStore.write(timer.fn.name, timer.status).catch((error: unknown) => {
      this.services.invocations.logger.warn(
        `Function '${timer.fn.name}': the schedule status could not be saved (${String(error)}).`,
      );
    });
  }
}

/** `%name%` in a schedule names an app setting, as on the Functions host. */
function resolveSetting(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new ScheduleError(`app setting "${name}" is not set`);
    return value;
  });
}
