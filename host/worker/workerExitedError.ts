/**
 * What an invocation in flight in a language worker that exited fails with: the Functions host's
 * WorkerProcessExitException text ("node exited with code 1 (0x1)", WorkerProcess.OnProcessExited).
 */
export class WorkerExitedError extends Error {
  constructor(readonly exitCode: number) {
    super(`node exited with code ${exitCode} (0x${exitCode.toString(16).toUpperCase()})`);
    this.name = 'WorkerProcessExitException';
  }
}
