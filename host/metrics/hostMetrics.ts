import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineObserver } from '../durable/engine/engineObserver';
import { OrchestrationStatus, type RuntimeStatus } from '../durable/history/historyEvent';
import type { HttpServer } from '../http/httpServer';
import type { StoreObserver } from '../store/storeObserver';

/** Latency buckets in seconds: from a fast in-memory step to a slow remote call. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATUSES = Object.keys(OrchestrationStatus).filter((k) => Number.isNaN(Number(k))) as RuntimeStatus[];

export interface MetricSources {
  /** Instances of the task hub by runtime status, counted when scraped. */
  countInstances(): Promise<Map<RuntimeStatus, number>>;
  queuedEpisodes(): number;
  activitiesInFlight(): number;
  timersArmed(): number;
}

/**
 * The host's own metrics in the Prometheus text format at GET /admin/metrics — a local-host
 * addition (the real Functions host has no such endpoint), so the app must not depend on it.
 */
export class HostMetrics implements EngineObserver, StoreObserver {
  readonly registry = new Registry();
  private readonly episodes = new Histogram({
    name: 'durable_orchestration_episode_seconds',
    help: 'Orchestration episodes (SDK replay and mirror), by orchestrator.',
    labelNames: ['orchestrator'],
    buckets: BUCKETS,
    registers: [this.registry],
  });
  private readonly activities = new Histogram({
    name: 'durable_activity_execution_seconds',
    help: 'Activity executions, by activity and outcome.',
    labelNames: ['activity', 'outcome'],
    buckets: BUCKETS,
    registers: [this.registry],
  });
  private readonly commits = new Histogram({
    name: 'durable_store_commit_seconds',
    help: 'Commits of an episode to the task hub store.',
    buckets: BUCKETS,
    registers: [this.registry],
  });
  private readonly appends = new Counter({
    name: 'durable_store_log_appends_total',
    help: "Appends to the task hub's commit log.",
    registers: [this.registry],
  });
  private readonly loggedCommits = new Counter({
    name: 'durable_store_log_commits_total',
    help: 'Commits (episodes, inbox messages) those appends carried: many per append under load.',
    registers: [this.registry],
  });
  private readonly checkpoints = new Histogram({
    name: 'durable_store_checkpoint_seconds',
    help: 'Checkpoints of the commit log to the table.',
    buckets: BUCKETS,
    registers: [this.registry],
  });
  private readonly checkpointRows = new Counter({
    name: 'durable_store_checkpoint_rows_total',
    help: 'Table rows the checkpoints wrote (each row once however often it changed).',
    registers: [this.registry],
  });
  private readonly activityTotal = new Counter({
    name: 'durable_activity_executions_total',
    help: 'Activity executions, by activity and outcome.',
    labelNames: ['activity', 'outcome'],
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    new Gauge({
      name: 'durable_instances',
      help: 'Orchestration instances in the task hub, by runtime status.',
      labelNames: ['runtime_status'],
      registers: [this.registry],
      async collect() {
        const counts = await sources.countInstances();
        for (const status of STATUSES) this.set({ runtime_status: status }, counts.get(status) ?? 0);
      },
    });
    new Gauge({
      name: 'durable_work_waiting',
      help: 'Work waiting to run: episodes queued, activities in flight, timers armed.',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        this.set({ kind: 'episodes' }, sources.queuedEpisodes());
        this.set({ kind: 'activities' }, sources.activitiesInFlight());
        this.set({ kind: 'timers' }, sources.timersArmed());
      },
    });
  }

  episode(orchestrator: string, durationMs: number): void {
    this.episodes.observe({ orchestrator }, durationMs / 1000);
  }

  activity(name: string, durationMs: number, failed: boolean): void {
    const outcome = failed ? 'failed' : 'completed';
    this.activities.observe({ activity: name, outcome }, durationMs / 1000);
    this.activityTotal.inc({ activity: name, outcome });
  }

  commit(durationMs: number): void {
    this.commits.observe(durationMs / 1000);
  }

  logAppend(commits: number): void {
    this.appends.inc();
    this.loggedCommits.inc(commits);
  }

  checkpoint(rows: number, durationMs: number): void {
    this.checkpoints.observe(durationMs / 1000);
    this.checkpointRows.inc(rows);
  }

  serve(server: HttpServer): void {
    server.route(['GET'], '/admin/metrics', async ({ res }) => {
      const body = await this.registry.metrics();
      res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  }
}
