/**
 * Memory of a process and everything it started, sampled from /proc every `intervalMs`: the peak of the tree's summed VmRSS, and the highest
 * VmHWM (the kernel's own high-water mark, which also catches spikes between two samples) of any one process.
 * Linux only; elsewhere it reports nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessMemory {
  name: string;
  rssKb: number;
  hwmKb: number;
}

/** VmRSS and VmHWM (kB) from the text of /proc/<pid>/status; undefined for a zombie or kernel thread (no Vm lines). */
export function parseStatus(text: string): ProcessMemory | undefined {
  const field = (name: string) => new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1];
  const rss = field('VmRSS');
  const hwm = field('VmHWM');
  if (rss === undefined || hwm === undefined) return undefined;
  return { name: /^Name:\s+(.*)$/m.exec(text)?.[1] ?? '?', rssKb: Number(rss), hwmKb: Number(hwm) };
}

/** The parent pid from the text of /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parsePpid(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** `root` and every process below it, from a pid → parent pid map. */
export function processTree(root: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const tree: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading
  }
};

function parentsNow(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parsePpid(read(`/proc/${entry}/stat`) ?? '');
    if (ppid !== undefined) parents.set(Number(entry), ppid);
  }
  return parents;
}

export interface TreeMemory {
  /** The highest sum of VmRSS over the tree seen in one sample, in kB. */
  peakTreeRssKb: number;
  /** The highest VmHWM of a single process of the tree, in kB. */
  peakProcessHwmKb: number;
  /** The processes seen, by pid: name and own highest VmHWM. */
  processes: Map<number, ProcessMemory>;
  samples: number;
}

export class TreeMemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private state: TreeMemory = fresh();

  constructor(
    private readonly rootPid: number,
    private readonly intervalMs = 500,
  ) {}

  start(): this {
    if (process.platform !== 'linux') return this;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Starts a new peak (one per benchmark run) and returns the tree's VmRSS now, in kB. VmHWM only grows, so a
   * process's earlier peak still counts in peakProcessHwmKb.
   */
  reset(): number {
    this.state = fresh();
    if (this.timer) this.sample();
    return this.state.peakTreeRssKb;
  }

  report(): TreeMemory {
    if (this.timer) this.sample();
    return { ...this.state, processes: new Map(this.state.processes) };
  }

  private sample(): void {
    let total = 0;
    for (const pid of processTree(this.rootPid, parentsNow())) {
      const memory = parseStatus(read(`/proc/${pid}/status`) ?? '');
      if (!memory) continue;
      total += memory.rssKb;
      const seen = this.state.processes.get(pid);
      this.state.processes.set(pid, { ...memory, hwmKb: Math.max(memory.hwmKb, seen?.hwmKb ?? 0) });
      this.state.peakProcessHwmKb = Math.max(this.state.peakProcessHwmKb, memory.hwmKb);
    }
    this.state.peakTreeRssKb = Math.max(this.state.peakTreeRssKb, total);
    this.state.samples++;
  }
}

function fresh(): TreeMemory {
  return { peakTreeRssKb: 0, peakProcessHwmKb: 0, processes: new Map(), samples: 0 };
}
