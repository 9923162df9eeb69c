// CPU accounting around one wrk run. The machine is shared (2 cores, other
// sessions compile and test on it), so a number is only meaningful next to
// how much CPU something else took meanwhile. Linux-only: reads /proc.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let clkTck: number | undefined;
function ticksPerSec(): number {
  clkTck ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return clkTck;
}

/** Busy ticks of the whole machine (everything but idle and iowait). */
function machineBusyTicks(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return total - (f[3] ?? 0) - (f[4] ?? 0);
}

/** utime+stime of a process (all its threads) plus its live descendants; 0 once it is gone. */
function treeTicks(pid: number): number {
  try {
    // Fields after the ")" that closes comm: state is [0], utime [11], stime [12].
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let ticks = Number(f[11]) + Number(f[12]);
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const kid of kids ? kids.split(' ') : []) ticks += treeTicks(Number(kid));
    }
    return ticks;
  } catch {
    return 0;
  }
}

export interface CpuSplit {
  /** Cores (CPU-seconds per second) used by the server under test. */
  server: number;
  /** Cores used by wrk. */
  wrk: number;
  /** Cores used by everything else on the machine, this bench driver excluded: contention. */
  other: number;
}

export interface CpuMeter {
  /** wrkCpuSec comes from the shell's `times` after wrk exits (wrk is gone from /proc by then). */
  stop(wrkCpuSec: number): CpuSplit;
}

export function startCpuMeter(serverPid: number): CpuMeter {
  const t0 = process.hrtime.bigint();
  const busy0 = machineBusyTicks();
  const server0 = treeTicks(serverPid);
  const self0 = process.cpuUsage();
  return {
    stop(wrkCpuSec: number): CpuSplit {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const hz = ticksPerSec();
      const busy = (machineBusyTicks() - busy0) / hz;
      const server = (treeTicks(serverPid) - server0) / hz;
      const selfUsage = process.cpuUsage(self0);
      const self = (selfUsage.user + selfUsage.system) / 1e6;
      return {
        server: server / wall,
        wrk: wrkCpuSec / wall,
        other: Math.max(0, busy - server - wrkCpuSec - self) / wall,
      };
    },
  };
}
