import { describeStep, type CodeOutcome, type ReplayReport } from './replayReport';

function outcomeWords(current: CodeOutcome | undefined): string {
  switch (current?.state) {
    case 'completed':
      return 'completes';
    case 'failed':
      return 'fails';
    case 'continued-as-new':
      return 'continues as new';
    case 'running':
      return 'is still running';
    default:
      return 'was not run';
  }
}

/** The report as the replay command prints it: a verdict line, then the difference or notes. */
export function reportText(report: ReplayReport): string[] {
  const subject = `${report.orchestrator} instance '${report.instanceId}' (${report.source})`;
  const { problem } = report;
  if (!problem) {
    return [
      `ok: ${subject}: ${report.eventCount} events replayed, all ${report.scheduledCount} recorded steps match; the code ${outcomeWords(report.current)} as history ${report.recorded.state === 'running' ? 'left it (running)' : `did (${report.recorded.state})`}.`,
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
