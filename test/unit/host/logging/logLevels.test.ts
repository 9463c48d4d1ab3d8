import { describe, expect, it } from 'vitest';
import { StartupError } from '../../../../host/config/startupError';
import { LogLevelFilter } from '../../../../host/logging/logLevels';

describe('host.json logging.logLevel', () => {
  it('without rules writes Information and above, as the Functions host does', () => {
    const filter = LogLevelFilter.fromHostJson(undefined);
    expect(filter.enabled('Function.orders.User', 'information')).toBe(true);
    expect(filter.enabled('Function.orders.User', 'debug')).toBe(false);
  });

  it('the most specific matching category wins over shorter ones and over default', () => {
    const filter = LogLevelFilter.fromHostJson({
      default: 'Warning',
      Function: 'Error',
      'Function.orders': 'Information',
      'Function.orders.User': 'Debug',
    });
    expect(filter.enabled('Function.orders.User', 'debug')).toBe(true);
    expect(filter.enabled('Function.orders', 'debug')).toBe(false);
    expect(filter.enabled('Function.orders', 'information')).toBe(true);
    expect(filter.enabled('Function.payments.User', 'warning')).toBe(false);
    expect(filter.enabled('Function.payments.User', 'error')).toBe(true);
    expect(filter.enabled('Host.Results', 'warning')).toBe(true);
    expect(filter.enabled('Host.Results', 'information')).toBe(false);
  });

  it('matches categories and level names without regard to case', () => {
    const filter = LogLevelFilter.fromHostJson({ 'function.ORDERS.user': 'warning' });
    expect(filter.enabled('Function.orders.User', 'information')).toBe(false);
    expect(filter.enabled('Function.orders.User', 'warning')).toBe(true);
  });

  it('a rule with one wildcard matches its prefix and suffix', () => {
    const filter = LogLevelFilter.fromHostJson({ default: 'Information', 'Function.*.User': 'Error' });
    expect(filter.enabled('Function.orders.User', 'warning')).toBe(false);
    expect(filter.enabled('Function.orders', 'warning')).toBe(true);
  });

  it('None writes nothing, not even critical lines', () => {
    const filter = LogLevelFilter.fromHostJson({ 'Function.quiet': 'None' });
    expect(filter.enabled('Function.quiet.User', 'critical')).toBe(false);
    expect(filter.enabled('Function.loud.User', 'information')).toBe(true);
  });

  it('refuses an unknown level or two wildcards with the setting named', () => {
    expect(() => LogLevelFilter.fromHostJson({ 'Function.orders': 'Verbose' })).toThrow(
      new StartupError(
        'host.json logging.logLevel.Function.orders "Verbose" is not one of Trace, Debug, Information, Warning, Error, Critical, None.',
      ),
    );
    expect(() => LogLevelFilter.fromHostJson({ 'Function.*.*': 'Error' })).toThrow(/more than one '\*'/);
  });
});
