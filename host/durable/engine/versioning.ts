/**
 * Orchestration versioning as the Durable Functions extension does it (bundle 4.26+, host.json
 * extensions.durableTask): new instances get `defaultVersion`; a worker runs only the instances
 * its `versionMatchStrategy` accepts, and `versionFailureStrategy` says what happens to the rest.
 */
export type VersionMatchStrategy = 'None' | 'Strict' | 'CurrentOrOlder';
export type VersionFailureStrategy = 'Reject' | 'Fail';

export interface VersioningPolicy {
  defaultVersion: string;
  match: VersionMatchStrategy;
  onMismatch: VersionFailureStrategy;
}

export const noVersioning: VersioningPolicy = { defaultVersion: '', match: 'CurrentOrOlder', onMismatch: 'Reject' };

const DOTTED = /^\d+(\.\d+)*$/;

/**
 * Negative when a is older than b. Empty equals empty and is older than any version; versions
 * that are dotted numbers compare part by part as numbers; anything else as case-insensitive text.
 */
export function compareVersions(a: string, b: string): number {
  if (a === '' || b === '') return a === b ? 0 : a === '' ? -1 : 1;
  if (DOTTED.test(a) && DOTTED.test(b)) {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const d = (pa[i] ?? 0) - (pb[i] ?? 0);
      if (d !== 0) return Math.sign(d);
    }
    return 0;
  }
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  return la < lb ? -1 : la > lb ? 1 : 0;
}

/** Why this worker must not run an instance of `version`, or undefined when it may. */
export function versionMismatch(policy: VersioningPolicy, version: string): string | undefined {
  const order = compareVersions(version, policy.defaultVersion);
  if (policy.match === 'Strict' && order !== 0) {
    return `The orchestration version '${version}' does not match the worker version '${policy.defaultVersion}' (versionMatchStrategy Strict).`;
  }
  if (policy.match === 'CurrentOrOlder' && order > 0) {
    return `The orchestration version '${version}' is newer than the worker version '${policy.defaultVersion}' (versionMatchStrategy CurrentOrOlder).`;
  }
  return undefined;
}
