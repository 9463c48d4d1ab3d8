/** A reason the host cannot start, worded for the person at the terminal: one line, what and where. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
