/**
 * Keys of the task hub table. Everything of one instance shares a row-key prefix inside one of a
 * few partitions (shards), so one entity-group transaction can commit an episode atomically and
 * can also carry the episodes of other instances of the same shard (group commit).
 */
export const SHARD_COUNT = 16;

/** FNV-1a 32-bit over UTF-8, the hash DTFx uses to pick an instance's control queue. */
export function fnv1a(text: string): number {
  let hash = 2166136261;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash >>> 0;
}

export function shardOf(instanceId: string): string {
  return `s${String(fnv1a(instanceId) % SHARD_COUNT).padStart(2, '0')}`;
}

/**
 * Table keys forbid `/ \ # ?` and control characters, and `|` separates our key parts: escape them
 * with `^` the way DTFx's KeySanitation does (plus `|`), so distinct ids stay distinct.
 */
export function escapeId(instanceId: string): string {
  let out = '';
  for (const ch of instanceId) {
    const code = ch.charCodeAt(0);
    if (ch === '^') out += '^^';
    else if (ch === '/') out += '^0';
    else if (ch === '\\') out += '^1';
    else if (ch === '#') out += '^2';
    else if (ch === '?') out += '^3';
    else if (ch === '|') out += '^4';
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += '^' + String.fromCharCode(0xc0 + (code & 0x3f));
    else out += ch;
  }
  return out;
}

/**
 * Table keys hold 1 KiB (512 UTF-16 units in Azurite); a row key is the escaped id plus up to about
 * 80 units of suffix. An id whose escaped form is longer than this could not be stored.
 */
export const MAX_ESCAPED_ID_LENGTH = 400;

/** Why the store cannot hold this instance (or entity) id, or undefined when it can. */
export function storedIdProblem(instanceId: string): string | undefined {
  return escapeId(instanceId).length > MAX_ESCAPED_ID_LENGTH
    ? `The id is too long to be stored: at most ${MAX_ESCAPED_ID_LENGTH} characters, where '^', '|' and control characters count twice.`
    : undefined;
}

export const rowKeys = {
  instance: (id: string) => `${escapeId(id)}|I`,
  historyPrefix: (id: string, executionId: string) => `${escapeId(id)}|H|${executionId}|`,
  history: (id: string, executionId: string, chunk: number) =>
    `${escapeId(id)}|H|${executionId}|${String(chunk).padStart(6, '0')}`,
  message: (id: string, messageId: string) => `${escapeId(id)}|M|${messageId}`,
  messagePrefix: (id: string) => `${escapeId(id)}|M|`,
  /** Every row of an instance sorts between these two keys ('}' follows '|'). */
  instanceRange: (id: string) => ({ from: `${escapeId(id)}|`, to: `${escapeId(id)}}` }),
};

/** OData string literal. */
export function odata(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
