// Latency samples, error capture, goals and the printed report.
import { performance } from 'node:perf_hooks';
import { type HttpResult, type Method, isOk } from './http';

const MAX_ERRORS_KEPT = 5;
const MAX_ERROR_BODY = 300;

export interface Summary {
  requests: number;
  seconds: number;
  perSecond: number;
  /** Successful requests per second: what the throughput goals are judged on. */
  okPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarise(samples: number[], errors: number, seconds: number): Summary {
  const sorted = Float64Array.from(samples).sort();
  const asArray = Array.from(sorted);
  return {
    requests: samples.length,
    seconds,
    perSecond: seconds > 0 ? samples.length / seconds : 0,
    okPerSecond: seconds > 0 ? (samples.length - Math.min(errors, samples.length)) / seconds : 0,
    p50: percentile(asArray, 50),
    p99: percentile(asArray, 99),
    max: asArray.length ? asArray[asArray.length - 1] : NaN,
    errors,
  };
}

/**
 * Records every request of one workload (or one phase of it): its latency, whether it failed, and the first
 * few failures in full. Optionally groups samples by operation so mixes can show each operation's latency.
 */
export class Recorder {
  private readonly samples: number[] = [];
  private readonly byOp = new Map<string, number[]>();
  private errorCount = 0;
  readonly firstErrors: string[] = [];
  private startedAt = 0;
  private stoppedAt = 0;

  start(): this {
    this.startedAt = performance.now();
    return this;
  }

  stop(): this {
    this.stoppedAt = performance.now();
    return this;
  }

  get seconds(): number {
    const end = this.stoppedAt || performance.now();
    return (end - this.startedAt) / 1000;
  }

  get requests(): number {
    return this.samples.length;
  }

  get errors(): number {
    return this.errorCount;
  }

  /**
   * Records a response. A non-2xx status or a transport failure is an error; so is a 2xx response that fails
   * the caller's own check (pass `problem` to say what was wrong with it).
   */
  record(method: Method, path: string, r: HttpResult, op?: string, problem?: string): boolean {
    this.samples.push(r.ms);
    if (op) {
      let list = this.byOp.get(op);
      if (!list) this.byOp.set(op, (list = []));
      list.push(r.ms);
    }
    const failed = !isOk(r.status) || problem !== undefined;
    if (failed) {
      this.errorCount++;
      if (this.firstErrors.length < MAX_ERRORS_KEPT) {
        const what =
          r.status === 0
            ? `transport error: ${r.error ?? 'unknown'}`
            : `${r.status}${problem ? ` (${problem})` : ''} ${r.body.slice(0, MAX_ERROR_BODY)}`;
        this.firstErrors.push(`${method} ${path.slice(0, 160)} -> ${what}`);
      }
    }
    return !failed;
  }

  /** Counts a failure that has no HTTP response of its own (e.g. a check over several responses). */
  fail(message: string): void {
    this.errorCount++;
    if (this.firstErrors.length < MAX_ERRORS_KEPT) this.firstErrors.push(message);
  }

  summary(): Summary {
    return summarise(this.samples, this.errorCount, this.seconds);
  }

  /** Per-operation latency (count, p50, p99), in insertion order. */
  operations(): { op: string; count: number; p50: number; p99: number }[] {
    return [...this.byOp].map(([op, list]) => {
      const sorted = Array.from(Float64Array.from(list).sort());
      return { op, count: list.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    });
  }
}

// ---------------------------------------------------------------------------------------------- goals

export interface Goal {
  label: string;
  value: number;
  target: number;
  comparison: '>=' | '<=' | '<';
  unit: string;
  pass: boolean;
}

export function goal(
  label: string,
  value: number,
  comparison: Goal['comparison'],
  target: number,
  unit: string,
): Goal {
  const pass =
    Number.isFinite(value) &&
    (comparison === '>=' ? value >= target : comparison === '<=' ? value <= target : value < target);
  return { label, value, target, comparison, unit, pass };
}

const SYMBOL: Record<Goal['comparison'], string> = { '>=': '≥', '<=': '≤', '<': '<' };

export function formatGoal(g: Goal): string {
  return `${g.label} ${fmt(g.value)}${g.unit} (goal ${SYMBOL[g.comparison]} ${fmt(g.target)}${g.unit}) ${g.pass ? 'PASS' : 'MISS'}`;
}

export function goalTarget(g: Goal): string {
  return `${SYMBOL[g.comparison]} ${fmt(g.target)}${g.unit}`;
}

// --------------------------------------------------------------------------------------------- report

/** The outcome of one workload, as printed and as summarised at the end. */
export interface WorkloadReport {
  name: string;
  /** Main request figures; absent when skipped or failed before any request. */
  summary?: Summary;
  /** Extra figures each workload adds (members/s, pages/s…), already formatted. */
  extras: string[];
  goals: Goal[];
  notes: string[];
  firstErrors: string[];
  /** A table printed under the workload's line (H1: one row per hostile request). */
  table?: { header: string[]; rows: string[][] };
  skipped?: string;
  /** Server peak RSS (MB) and CPU (% of one core) during the workload, when a pid was given. */
  serverPeakRssMb?: number;
  serverCpuPercent?: number;
  /** CPU of the server's descendants (embedded PostgreSQL), % of one core. */
  databaseCpuPercent?: number;
  clientCpuPercent?: number;
  /** Whole-machine CPU, % of one core (all cores busy = cores × 100 %). */
  machineCpuPercent?: number;
}

export function fmt(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  const d = digits ?? (Number.isInteger(n) || Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** CPU used by neither the server, its database nor the benchmark, when all were measured. */
export function otherCpuPercent(r: WorkloadReport): number | undefined {
  if (r.machineCpuPercent === undefined || r.serverCpuPercent === undefined) return undefined;
  return r.machineCpuPercent - r.serverCpuPercent - (r.databaseCpuPercent ?? 0) - (r.clientCpuPercent ?? 0);
}

const OTHER_LOAD_WARNING = 25;

export function printWorkload(r: WorkloadReport): void {
  if (r.skipped) {
    console.log(`${r.name}: skipped: ${r.skipped}`);
    return;
  }
  const parts = [r.name];
  if (r.summary) {
    const s = r.summary;
    parts.push(
      `requests ${fmt(s.requests, 0)}`,
      `${fmt(s.perSecond)}/s`,
      `p50 ${fmt(s.p50)} ms`,
      `p99 ${fmt(s.p99)} ms`,
      `errors ${fmt(s.errors, 0)}`,
    );
  }
  parts.push(...r.extras);
  const load: string[] = [];
  if (r.serverCpuPercent !== undefined) load.push(`server cpu ${fmt(r.serverCpuPercent, 0)}%`);
  if (r.databaseCpuPercent !== undefined) load.push(`postgres cpu ${fmt(r.databaseCpuPercent, 0)}%`);
  if (r.clientCpuPercent !== undefined) load.push(`bench cpu ${fmt(r.clientCpuPercent, 0)}%`);
  if (r.machineCpuPercent !== undefined) load.push(`machine cpu ${fmt(r.machineCpuPercent, 0)}%`);
  if (r.serverPeakRssMb !== undefined) load.push(`server peak rss ${fmt(r.serverPeakRssMb, 0)} MB`);
  if (load.length) parts.push(`[${load.join(', ')}]`);
  console.log(parts.join(' | '));
  const other = otherCpuPercent(r);
  if (other !== undefined && other >= OTHER_LOAD_WARNING) {
    console.log(
      `    warning: other processes used ${fmt(other, 0)}% CPU during this workload; its figures understate the server`,
    );
  }
  if (r.table) {
    console.log('');
    printTable(r.table.header, r.table.rows, '    ');
    console.log('');
  }
  for (const g of r.goals) console.log(`    ${formatGoal(g)}`);
  for (const n of r.notes) console.log(`    note: ${n}`);
  if (r.firstErrors.length) {
    console.log(`    first errors:`);
    for (const e of r.firstErrors) console.log(`      ${e}`);
  }
}

/** Prints rows as an aligned text table. */
export function printTable(header: string[], rows: string[][], indent = ''): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(indent + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

export function printSummaryTable(reports: WorkloadReport[], extraGoals: Goal[]): void {
  const rows: string[][] = [];
  for (const r of reports) {
    if (r.skipped) {
      rows.push([r.name, 'skipped', '', '', r.skipped.slice(0, 60)]);
      continue;
    }
    if (r.summary) {
      const s = r.summary;
      rows.push([
        r.name,
        `${fmt(s.perSecond)}/s`,
        `${fmt(s.p50)} / ${fmt(s.p99)} ms`,
        fmt(s.errors, 0),
        r.goals.map((g) => `${g.label} ${g.pass ? 'PASS' : 'MISS'}`).join(', '),
      ]);
    } else {
      rows.push([
        r.name,
        '',
        '',
        '',
        r.goals.map((g) => `${g.label} ${g.pass ? 'PASS' : 'MISS'}`).join(', '),
      ]);
    }
  }
  printTable(['workload', 'req/s', 'p50 / p99', 'errors', 'goals'], rows);
  const allGoals = [...reports.flatMap((r) => r.goals), ...extraGoals];
  if (allGoals.length) {
    console.log('');
    printTable(
      ['goal', 'measured', 'target', 'result'],
      allGoals.map((g) => [g.label, `${fmt(g.value)}${g.unit}`, goalTarget(g), g.pass ? 'PASS' : 'MISS']),
    );
  }
}
