import { describeStep, type ReplayReport } from './replayReport';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The report as the replay command prints it: a verdict line, then the difference or notes. */
export function reportText(report: ReplayReport): string[] {
  const subject = `${report.orchestrator} instance '${report.instanceId}' (${report.source})`;
  const { problem } = report;
  if (!problem) {
    const recorded = report.recorded.state;
    const current = report.current?.state ?? 'not run';
    const ending =
      recorded === 'running'
        ? 'it is still running, as recorded'
        : current === recorded
          ? `it ends as recorded (${recorded})`
          : `history ended ${recorded} (the code now: ${current})`;
    return [
      `ok: ${subject}: replayed ${plural(report.eventCount, 'event')}, ${report.scheduledCount === 1 ? 'the 1 recorded step matches' : `all ${plural(report.scheduledCount, 'recorded step')} match`}, and ${ending}.`,
      ...report.notes.map((note) => `  note: ${note}`),
    ];
  }
  switch (problem.kind) {
    case 'unknown-orchestrator':
      return [`${subject}: ${problem.message}`];
    case 'mismatch':
      return [
        `MISMATCH: ${subject}: the current code does not replay this history.`,
        `  first difference at event ${problem.position}, sequence id ${problem.sequenceId}:`,
        `    expected (history):   ${describeStep(problem.expected)}`,
        `    actual (code now):    ${problem.actual ? describeStep(problem.actual) : 'nothing with that sequence id'}`,
        `  ${problem.message}`,
        ...report.notes.map((note) => `  note: ${note}`),
      ];
    case 'invalid-action':
      return [`MISMATCH: ${subject}: the current code asks for something the runtime refuses.`, `  ${problem.message}`];
    case 'outcome':
      return [`MISMATCH: ${subject}: the current code ends differently.`, `  ${problem.message}`];
  }
}
