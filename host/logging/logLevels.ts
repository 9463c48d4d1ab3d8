import { StartupError } from '../config/startupError';

/**
 * host.json `logging.logLevel` as the Functions host applies it: the most specific category rule
 * that matches wins (`Function.orders.User` before `Function.orders` before `Function` before
 * `default`), compared case-insensitively, with at most one `*` per rule as .NET's logger filter
 * allows. A user's `context.log` lines have the category `Function.<name>.User`.
 */
export const LOG_LEVELS = ['Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical', 'None'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The levels the Node worker sends (`context.log` is information, `context.trace` trace, ...). */
export type WorkerLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

interface Rule {
  prefix: string;
  suffix: string;
  level: number;
  /** Length of the rule's name without the wildcard: the longer, the more specific. */
  specificity: number;
}

export class LogLevelFilter {
  private readonly cache = new Map<string, number>();

  private constructor(
    private readonly rules: readonly Rule[],
    private readonly fallback: number,
  ) {}

  /** Everything at Information and above, as the Functions host logs without a `logging` section. */
  static readonly default = new LogLevelFilter([], LOG_LEVELS.indexOf('Information'));

  /** Reads `logging.logLevel`; an unknown level or a rule with two wildcards stops the start. */
  static fromHostJson(logLevel: Record<string, unknown> | undefined): LogLevelFilter {
    const rules: Rule[] = [];
    let fallback = LOG_LEVELS.indexOf('Information');
    for (const [category, value] of Object.entries(logLevel ?? {})) {
      const level = LOG_LEVELS.findIndex((l) => typeof value === 'string' && l.toLowerCase() === value.toLowerCase());
      if (level < 0) {
        throw new StartupError(
          `host.json logging.logLevel.${category} "${String(value)}" is not one of ${LOG_LEVELS.join(', ')}.`,
        );
      }
      if (category.toLowerCase() === 'default') {
        fallback = level;
        continue;
      }
      const parts = category.toLowerCase().split('*');
      if (parts.length > 2) {
        throw new StartupError(`host.json logging.logLevel "${category}" has more than one '*'.`);
      }
      rules.push({ prefix: parts[0], suffix: parts[1] ?? '', level, specificity: parts.join('').length });
    }
    return new LogLevelFilter(rules, fallback);
  }

  /** Whether a line of this level and category is written. */
  enabled(category: string, level: WorkerLogLevel): boolean {
    const threshold = this.thresholdFor(category);
    const index = LOG_LEVELS.findIndex((l) => l.toLowerCase() === level);
    // 'None' is a threshold, never a level a line is written at.
    return index >= threshold && index < LOG_LEVELS.indexOf('None');
  }

  private thresholdFor(category: string): number {
    const key = category.toLowerCase();
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let best: Rule | undefined;
    for (const rule of this.rules) {
      const matches =
        rule.suffix === ''
          ? key.startsWith(rule.prefix)
          : key.length >= rule.prefix.length + rule.suffix.length &&
            key.startsWith(rule.prefix) &&
            key.endsWith(rule.suffix);
      if (matches && (best === undefined || rule.specificity >= best.specificity)) best = rule;
    }
    const threshold = best?.level ?? this.fallback;
    this.cache.set(key, threshold);
    return threshold;
  }
}
