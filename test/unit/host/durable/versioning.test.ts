import { describe, expect, it } from 'vitest';
import { compareVersions, versionMismatch } from '../../../../host/durable/engine/versioning';

describe('comparing orchestration versions', () => {
  it.each([
    ['', '', 0],
    ['', '1.0', -1],
    ['1.0', '', 1],
    ['1.2', '1.10', -1],
    ['2', '2.0', 0],
    ['10.0.1', '9.9.9', 1],
    ['v1-beta', 'V1-BETA', 0],
    ['alpha', 'beta', -1],
    ['2025-01-01', '2024-12-31', 1],
  ])('%j vs %j → %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });

  it('lets CurrentOrOlder run older and equal versions, Strict only equal ones, None everything', () => {
    const policy = { defaultVersion: '2.0', onMismatch: 'Reject' as const };
    expect(versionMismatch({ ...policy, match: 'CurrentOrOlder' }, '1.9')).toBeUndefined();
    expect(versionMismatch({ ...policy, match: 'CurrentOrOlder' }, '')).toBeUndefined();
    expect(versionMismatch({ ...policy, match: 'CurrentOrOlder' }, '2.1')).toMatch(
      /newer than the worker version '2.0'/,
    );
    expect(versionMismatch({ ...policy, match: 'Strict' }, '1.9')).toMatch(/does not match/);
    expect(versionMismatch({ ...policy, match: 'Strict' }, '2')).toBeUndefined();
    expect(versionMismatch({ ...policy, match: 'None' }, '99')).toBeUndefined();
  });
});
