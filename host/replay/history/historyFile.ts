import fs from 'node:fs';
import { HistorySourceError } from '../historySourceError';
import { recordedHistory, type RecordedHistory } from './recordedHistory';

/**
 * Reads a history from JSON text: either the bare array of events, or an object whose `history`
 * member is that array (the fixture form, which carries notes about the recording beside it).
 */
export function parseHistoryText(text: string, source: string): RecordedHistory {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HistorySourceError('not-a-history', `${source} is not JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(value)) return recordedHistory(value, source);
  if (typeof value === 'object' && value !== null && Array.isArray((value as { history?: unknown }).history)) {
    return recordedHistory((value as { history: unknown[] }).history, source);
  }
  throw new HistorySourceError('not-a-history', `${source} is not a history: expected an array of history events or an object with a "history" array.`);
}

export function readHistoryFile(file: string): RecordedHistory {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new HistorySourceError('not-a-history', `Cannot read the history file ${file}: ${why}.`);
  }
  return parseHistoryText(text, file);
}
