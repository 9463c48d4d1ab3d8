// A failed activity reaches the orchestrator as an error whose message may carry the remote stack
// trace ("Reason \n Details"). Custom status and output are shown to API callers, so they get the
// first line only, bounded in length.

const maxSummaryLength = 500;

export function errorSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
  const firstLine = (message ?? '').split('\n').find((line) => line.trim() !== '') ?? 'unknown error';
  const trimmed = firstLine.trim();
  return trimmed.length > maxSummaryLength ? `${trimmed.slice(0, maxSummaryLength - 1)}…` : trimmed;
}
