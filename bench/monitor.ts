// Samples the server process's resident memory and CPU time from /proc (Linux only).
import { readFileSync } from 'node:fs';

const SAMPLE_MS = 100;
/** Kernel clock ticks per second for /proc/<pid>/stat times; 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;

export interface Window {
  peakRssMb: number;
  cpuPercent: number;
}

function readRssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of the process, in seconds. */
function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may itself contain spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after the name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

export class ServerMonitor {
  private timer: NodeJS.Timeout | undefined;
  private peakKb = 0;
  private windowPeakKb = 0;
  private windowCpuStart = 0;
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
    this.windowStartedAt = performance.now();
  }

  endWindow(): Window {
    const kb = readRssKb(this.pid);
    if (kb !== undefined) this.observe(kb);
    const cpu = (readCpuSeconds(this.pid) ?? this.windowCpuStart) - this.windowCpuStart;
    const wall = (performance.now() - this.windowStartedAt) / 1000;
    return { peakRssMb: this.windowPeakKb / 1024, cpuPercent: wall > 0 ? (cpu / wall) * 100 : 0 };
  }

  get peakRssMb(): number {
    return this.peakKb / 1024;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
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
