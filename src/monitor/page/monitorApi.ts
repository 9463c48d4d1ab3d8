// The JSON the page reads from the app, as the page relies on it. The server builds these shapes in
// src/monitor (instanceRow.ts, instanceDetail.ts, timeline.ts) and src/saga/sagaFigures.ts; they
// are restated here rather than imported because this folder is compiled for the browser on its
// own (lib DOM, no Node types), and importing the server modules would pull them into that build.
// The browser tests (test/e2e/monitor.test.ts) check that both sides still agree.

export type ActionName = 'terminate' | 'suspend' | 'resume' | 'restart' | 'raiseEvent' | 'purge';

/** { errors: [{ path, message }] }: every 4xx of the app. */
export interface ProblemBody {
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

/** GET /api/monitor/instances */
export interface InstancePageBody {
  readonly instances?: readonly InstanceRow[];
  readonly continuationToken?: string | null;
}

export interface InstanceRow {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: string;
  readonly sagaStatus: string;
  readonly needsAttention: boolean;
  readonly createdTime?: string;
  readonly lastUpdatedTime?: string;
  readonly durationText: string;
  /** Still running: worth refreshing. */
  readonly active: boolean;
}

/** GET /api/monitor/instances/{id} */
export interface InstanceDetail extends InstanceRow {
  readonly timeline: Timeline;
  readonly actions: Readonly<Record<ActionName, boolean>>;
  readonly input: unknown;
  readonly output: unknown;
  readonly customStatus: unknown;
  readonly historyEvents: readonly Readonly<Record<string, unknown>>[];
  readonly stepInstances?: readonly { readonly instanceId: string; readonly runtimeStatus: string }[];
}

export type TimelineGroup = 'forward' | 'compensations' | 'incidents';

export interface Timeline {
  readonly startedAt?: string;
  readonly spanText: string;
  readonly live: boolean;
  readonly entries: readonly TimelineEntry[];
  readonly markers: readonly TimelineMarker[];
  readonly ticks: readonly { readonly pct: number; readonly label: string }[];
  readonly compensationsRanTogether: boolean;
}

export interface TimelineEntry {
  readonly id: string;
  readonly group: TimelineGroup;
  readonly label: string;
  readonly outcome: string;
  readonly detail?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly durationText?: string;
  readonly attempts: readonly TimelineAttempt[];
}

export interface TimelineAttempt {
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly outcome: string;
  readonly error?: string;
  readonly leftPct: number;
  readonly widthPct: number;
}

export interface TimelineMarker {
  readonly kind: string;
  readonly at: string;
  readonly label: string;
  readonly atPct: number;
}

/** POST /api/monitor/instances/{id}/{action} and DELETE /api/monitor/instances/{id} */
export interface ActionAnswer {
  readonly instanceId?: string;
  readonly message?: string;
}

/** POST /api/orders (202) */
export interface StartAnswer {
  readonly id?: string;
}

export interface LatencySummary {
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

type StepKey = 'A' | 'B' | 'C';

/** GET /api/saga-metrics */
export interface SagaFigures {
  readonly total: number;
  readonly outcomes: {
    readonly running: number;
    readonly completed: number;
    readonly rejectedAt: Readonly<Record<StepKey, number>>;
    readonly failed: number;
    readonly needsAttention: number;
  };
  readonly latency: {
    readonly endToEnd: LatencySummary;
    readonly steps: Readonly<Record<StepKey, LatencySummary>>;
  };
}

/** The form's examples, carried in the page as JSON (#order-examples). */
export interface OrderExample {
  readonly label: string;
  readonly expect: string;
  readonly body: unknown;
}
