import { parsePpid, parseStatus, processTree, TreeMemorySampler } from './process-memory';

describe('process memory from /proc', () => {
  it('reads VmRSS and VmHWM from status', () => {
    const status = 'Name:\tnode\nState:\tS (sleeping)\nVmPeak:\t 1234567 kB\nVmHWM:\t  301240 kB\nVmRSS:\t  288004 kB\nThreads:\t11\n';
    expect(parseStatus(status)).toEqual({ name: 'node', rssKb: 288_004, hwmKb: 301_240 });
    expect(parseStatus('Name:\tkthreadd\nState:\tS (sleeping)\n')).toBeUndefined();
  });

  it('reads the parent pid after a command name with spaces and parentheses', () => {
    expect(parsePpid('4242 (node) S 4200 4242 4242 0 -1')).toBe(4200);
    expect(parsePpid('77 (tsx (worker) x) R 1 77 77 0 -1')).toBe(1);
    expect(parsePpid('')).toBeUndefined();
  });

  it('finds every descendant of the root and nothing else', () => {
    const parents = new Map([
      [10, 1],
      [11, 10],
      [12, 11],
      [13, 10],
      [20, 1],
      [21, 20],
    ]);
    expect(processTree(10, parents).sort()).toEqual([10, 11, 12, 13]);
    expect(processTree(99, parents)).toEqual([99]);
  });

  if (process.platform === 'linux') {
    it('samples this process', () => {
      const sampler = new TreeMemorySampler(process.pid, 10_000).start();
      const report = sampler.report();
      sampler.stop();
      expect(report.peakTreeRssKb).toBeGreaterThan(10_000);
      expect(report.peakProcessHwmKb).toBeGreaterThanOrEqual(report.processes.get(process.pid)!.rssKb);
    });
  }
});
