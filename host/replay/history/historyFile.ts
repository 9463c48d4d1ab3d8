import fs from 'node:fs';
import { HistorySourceError } from '../historySourceError';
import { recordedHistory, type RecordedHistory } from './recordedHistory';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The sub-orchestrations an orchestration started are instances of their own, each with a history. */
function subOrchestrationHistories(value: Record<string, unknown>, source: string): RecordedHistory[] {
  if (value.subOrchestrations === undefined) return [];
  if (!Array.isArray(value.subOrchestrations))
    throw new HistorySourceError('not-a-history', `${source}: "subOrchestrations" is not an array.`);
  return value.subOrchestrations.map((child: unknown, index) => {
    if (!isRecord(child) || !Array.isArray(child.history)) {
      throw new HistorySourceError(
        'not-a-history',
        `${source}: subOrchestrations[${index}] is not an object with a "history" array.`,
      );
    }
    const name = typeof child.instanceId === 'string' ? `'${child.instanceId}'` : `[${index}]`;
    return recordedHistory(child.history, `${source}, sub-orchestration ${name}`);
  });
}

/**
 * Reads histories from JSON text: either the bare array of one execution's events, or an object
 * whose `history` member is that array (the fixture form, which carries notes about the recording
 * beside it) and whose optional `subOrchestrations` hold `{ instanceId, history }` of the
 * sub-orchestrations it started. The file's own history comes first.
 */
export function parseHistoryText(text: string, source: string): RecordedHistory[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HistorySourceError('not-a-history', `${source} is not JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(value)) return [recordedHistory(value, source)];
  if (isRecord(value) && Array.isArray(value.history))
    return [recordedHistory(value.history, source), ...subOrchestrationHistories(value, source)];
  throw new HistorySourceError(
    'not-a-history',
    `${source} is not a history: expected an array of history events or an object with a "history" array.`,
  );
}

export function readHistoryFile(file: string): RecordedHistory[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new HistorySourceError('not-a-history', `Cannot read the history file ${file}: ${why}.`);
  }
  return parseHistoryText(text, file);
}
