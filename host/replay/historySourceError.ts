/**
 * Why a history could not be had, worded for the person at the terminal: one line, what and where.
 * `problem` lets the command choose its exit code without matching on message text.
 */
export type HistorySourceProblem =
  /** The file or value is not an orchestration history in the DTFx event form. */
  | 'not-a-history'
  /** No task hub of that name in the storage account. */
  | 'hub-not-found'
  /** The task hub holds no such instance. */
  | 'instance-not-found'
  /** The storage account did not answer (down, wrong endpoint, refused). */
  | 'storage-not-answering'
  /** The connection string cannot be used at all. */
  | 'bad-connection'
  /** Both task hub layouts hold the instance: the caller must say which one. */
  | 'ambiguous-layout';

export class HistorySourceError extends Error {
  override readonly name = 'HistorySourceError';

  constructor(
    readonly problem: HistorySourceProblem,
    message: string,
  ) {
    super(message);
  }
}
