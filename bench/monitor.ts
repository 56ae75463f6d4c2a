// Samples the server process's resident memory and CPU time from /proc (Linux only).
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

const SAMPLE_MS = 100;
/** Kernel clock ticks per second for /proc/<pid>/stat times; 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;

export interface Window {
  peakRssMb: number;
  /** CPU of the server process itself, % of one core. */
  cpuPercent: number;
  /** CPU of its descendants (the embedded PostgreSQL and its backends), % of one core. */
  childrenCpuPercent: number;
  /** The window's length: CPU seconds are percent / 100 × this. */
  wallSeconds: number;
}

/** A `Vm…:` line of /proc/<pid>/status in kB: VmRSS (resident now) or VmHWM (resident peak since start). */
export function readStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function readRssKb(pid: number): number | undefined {
  return readStatusKb(pid, 'VmRSS');
}

/** The fields of /proc/<pid>/stat after the parenthesised command name (which may contain spaces). */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of the process, in seconds. */
function readCpuSeconds(pid: number): number | undefined {
  // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after the name.
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / CLOCK_TICKS : undefined;
}

/** CPU seconds of every live descendant of pid, keyed by pid (ppid is field 4, i.e. 1 after the name). */
function descendantsCpu(pid: number): Map<number, number> {
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(entry);
    if (!f) continue;
    const p = Number(entry);
    const ppid = Number(f[1]);
    let list = children.get(ppid);
    if (!list) children.set(ppid, (list = []));
    list.push(p);
    cpu.set(p, (Number(f[11]) + Number(f[12])) / CLOCK_TICKS);
  }
  const out = new Map<number, number>();
  const queue = [...(children.get(pid) ?? [])];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    out.set(p, cpu.get(p) ?? 0);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = v[3] + v[4];
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export class ServerMonitor {
  private timer: NodeJS.Timeout | undefined;
  private peakKb = 0;
  private windowPeakKb = 0;
  private windowCpuStart = 0;
  private windowChildrenStart = new Map<number, number>();
  private windowStartedAt = 0;
  lastError: string | undefined;

  constructor(readonly pid: number) {}

  /** Starts sampling; throws when the pid can't be read. */
  start(): void {
    const kb = readRssKb(this.pid);
    if (kb === undefined) throw new Error(`--pid ${this.pid}: cannot read /proc/${this.pid}/status`);
    this.observe(kb);
    this.timer = setInterval(() => {
      const v = readRssKb(this.pid);
      if (v === undefined) this.lastError = `process ${this.pid} disappeared`;
      else this.observe(v);
    }, SAMPLE_MS);
    this.timer.unref();
  }

  private observe(kb: number): void {
    if (kb > this.peakKb) this.peakKb = kb;
    if (kb > this.windowPeakKb) this.windowPeakKb = kb;
  }

  /** Starts a measurement window (one workload). */
  beginWindow(): void {
    this.windowPeakKb = readRssKb(this.pid) ?? 0;
    this.windowCpuStart = readCpuSeconds(this.pid) ?? 0;
    this.windowChildrenStart = descendantsCpu(this.pid);
    this.windowStartedAt = performance.now();
  }

  endWindow(): Window {
    const kb = readRssKb(this.pid);
    if (kb !== undefined) this.observe(kb);
    const cpu = (readCpuSeconds(this.pid) ?? this.windowCpuStart) - this.windowCpuStart;
    // Children that started during the window count from zero; children that ended are not counted.
    let childrenCpu = 0;
    for (const [p, seconds] of descendantsCpu(this.pid))
      childrenCpu += seconds - (this.windowChildrenStart.get(p) ?? 0);
    const wall = (performance.now() - this.windowStartedAt) / 1000;
    const pct = (x: number) => (wall > 0 ? (x / wall) * 100 : 0);
    return {
      peakRssMb: this.windowPeakKb / 1024,
      cpuPercent: pct(cpu),
      childrenCpuPercent: pct(childrenCpu),
      wallSeconds: wall,
    };
  }

  get peakRssMb(): number {
    return this.peakKb / 1024;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** The whole machine's CPU use over a window, as % of one core (so 2 busy cores read 200 %). */
export class MachineCpu {
  private start = machineJiffies();

  begin(): void {
    this.start = machineJiffies();
  }

  percent(): number | undefined {
    const end = machineJiffies();
    if (!end || !this.start || end.total === this.start.total) return undefined;
    return ((end.busy - this.start.busy) / (end.total - this.start.total)) * os.cpus().length * 100;
  }
}

/** This process's own CPU use over a window, as % of one core. */
export class ClientCpu {
  private start = process.cpuUsage();
  private startedAt = performance.now();

  begin(): void {
    this.start = process.cpuUsage();
    this.startedAt = performance.now();
  }

  percent(): number {
    const d = process.cpuUsage(this.start);
    const wallUs = (performance.now() - this.startedAt) * 1000;
    return wallUs > 0 ? ((d.user + d.system) / wallUs) * 100 : 0;
  }
}
