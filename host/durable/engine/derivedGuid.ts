import { createHash } from 'node:crypto';

/**
 * A GUID-shaped id derived from its parts (name-based, like a version-5 UUID), so that work a
 * crash makes the host do again carries the same id as the first time and is recognized.
 */
export function derivedGuid(...parts: (string | number)[]): string {
  const hex = createHash('sha1').update(parts.join(':')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
