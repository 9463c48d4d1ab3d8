import { describe, expect, it } from 'vitest';
import { instanceIdProblem, parseListQuery } from '../../../src/monitor/listQuery';

function parse(query: string) {
  return parseListQuery(new URLSearchParams(query));
}

function errorPaths(query: string): string[] {
  const result = parse(query);
  return result.ok ? [] : result.errors.map((error) => error.path);
}

describe('the instance list filters', () => {
  it('lists everything, 20 at a time, without filters', () => {
    expect(parse('')).toEqual({ ok: true, query: { runtimeStatus: [], pageSize: 20, includeSteps: false } });
  });

  it('reads every filter', () => {
    const result = parse(
      'status=Running,failed&status=Running&createdFrom=2025-03-01T10:00:00Z&createdTo=2025-03-01T12:00:00%2B01:00' +
        '&idPrefix=order-&pageSize=50&includeSteps=true&continuationToken=abc.DEF-123',
    );

    expect(result).toEqual({
      ok: true,
      query: {
        runtimeStatus: ['Running', 'Failed'],
        createdFrom: new Date('2025-03-01T10:00:00Z'),
        createdTo: new Date('2025-03-01T11:00:00Z'),
        idPrefix: 'order-',
        pageSize: 50,
        includeSteps: true,
        continuationToken: 'abc.DEF-123',
      },
    });
  });

  it("lets the Azure function key through (it is the host's, not a filter)", () => {
    expect(parse('code=abc').ok).toBe(true);
  });

  it('refuses unknown parameters instead of ignoring a typo', () => {
    const result = parse('staus=Running');

    expect(result).toEqual({
      ok: false,
      errors: [{ path: 'query:staus', message: expect.stringContaining('is not a filter of the monitor') }],
    });
  });

  it('names a runtime status that does not exist, and the ones that do', () => {
    const result = parse('status=Running,Done');

    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]).toEqual({
      path: 'query:status',
      message:
        '"Done" is not a runtime status; use Pending, Running, Suspended, Completed, Failed, Terminated, ContinuedAsNew',
    });
  });

  it("takes times only with a zone, so the range never depends on the server's time zone", () => {
    expect(errorPaths('createdFrom=2025-03-01T10:00:00')).toEqual(['query:createdFrom']);
    expect(errorPaths('createdTo=yesterday')).toEqual(['query:createdTo']);
    expect(errorPaths('createdFrom=2025-03-01T10:00:00.1234567Z')).toEqual([]);
    // Outside the years 1 to 9999 the Durable HTTP API cannot filter (and the client would send "+010000-…").
    expect(errorPaths('createdFrom=0000-01-01T00:00:00Z')).toEqual(['query:createdFrom']);
    expect(errorPaths('createdTo=9999-12-31T23:30:00-01:00')).toEqual(['query:createdTo']);
    expect(errorPaths('createdTo=9999-12-31T23:30:00Z')).toEqual([]);
  });

  it('refuses a range that ends before it starts', () => {
    const result = parse('createdFrom=2025-03-02T00:00:00Z&createdTo=2025-03-01T00:00:00Z');

    expect(!result.ok && result.errors).toEqual([
      { path: 'query:createdFrom', message: 'is later than createdTo; the range would be empty' },
    ]);
  });

  it('keeps the page size between 1 and 100', () => {
    expect(errorPaths('pageSize=0')).toEqual(['query:pageSize']);
    expect(errorPaths('pageSize=101')).toEqual(['query:pageSize']);
    expect(errorPaths('pageSize=ten')).toEqual(['query:pageSize']);
    expect(errorPaths('pageSize=2.5')).toEqual(['query:pageSize']);
    expect(errorPaths('pageSize=100')).toEqual([]);
  });

  it('refuses id prefixes and tokens that cannot travel in a URL or header unchanged', () => {
    expect(errorPaths('idPrefix=a%2Fb')).toEqual(['query:idPrefix']);
    expect(errorPaths('idPrefix=%3Cscript%3E')).toEqual(['query:idPrefix']);
    expect(errorPaths('continuationToken=a%20b')).toEqual(['query:continuationToken']);
    expect(errorPaths(`continuationToken=${'x'.repeat(4097)}`)).toEqual(['query:continuationToken']);
  });

  it('reads includeSteps as true or false only', () => {
    expect(errorPaths('includeSteps=yes')).toEqual(['query:includeSteps']);
    expect(parse('includeSteps=').ok).toBe(true);
  });

  it('reports every problem at once', () => {
    expect(errorPaths('status=x&pageSize=0&createdFrom=never&extra=1')).toEqual([
      'query:extra',
      'query:status',
      'query:createdFrom',
      'query:pageSize',
    ]);
  });
});

describe('instance ids in monitor routes', () => {
  it('takes the ids this app creates', () => {
    expect(instanceIdProblem('4537224c58494eee811ff62d777fe4c1')).toBeUndefined();
    expect(instanceIdProblem('order-e2e-1')).toBeUndefined();
    expect(instanceIdProblem('4537224c58494eee811ff62d777fe4c1:B')).toBeUndefined();
  });

  it('says what is wrong with other ids', () => {
    expect(instanceIdProblem(undefined)).toBe('is required');
    expect(instanceIdProblem('')).toBe('is required');
    expect(instanceIdProblem('a'.repeat(257))).toBe('must be at most 256 characters');
    expect(instanceIdProblem('<script>')).toMatch(/^must start with a letter or digit/);
    expect(instanceIdProblem('..')).toMatch(/^must start with a letter or digit/);
    expect(instanceIdProblem('a b')).toMatch(/^must start with a letter or digit/);
  });
});
