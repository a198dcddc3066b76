import { progressLine } from './progress-line';

function stream(isTTY: boolean, columns?: number) {
  const chunks: string[] = [];
  return { chunks, isTTY, columns, write: (chunk: string) => chunks.push(chunk) };
}

describe('progress output', () => {
  it('redraws one line on a terminal, cut to its width', () => {
    const tty = stream(true, 20);
    const line = progressLine(tty);
    line.update('[#---] 1/4 paid');
    line.update('[##--] 2/4 paid and a long tail');
    line.note('a message');
    line.update('[####] 4/4 paid');
    line.finish();
    expect(tty.chunks).toEqual([
      '\r[#---] 1/4 paid\x1b[K',
      '\r[##--] 2/4 paid an…\x1b[K',
      '\r\x1b[K',
      'a message\n',
      '\r[####] 4/4 paid\x1b[K',
      '\n',
    ]);
  });

  it('prints a plain line on every status change, every few seconds while the numbers move, rarely while they do not', () => {
    let now = 0;
    const log = stream(false);
    const line = progressLine(log, { plainEveryMs: 5000, quietEveryMs: 60_000, now: () => now });
    const at = (ms: number, text: string, status: string, progress: string) => {
      now = ms;
      line.update(text, { status, progress });
    };
    at(0, 'a', 'pending_approval', '0'); // the first: printed
    at(5_000, 'b', 'pending_approval', '0'); // nothing moved
    at(59_000, 'c', 'pending_approval', '0');
    at(60_000, 'd', 'pending_approval', '0'); // a minute without change
    at(61_000, 'e', 'in_progress', '0'); // the status changed
    at(62_000, 'f', 'in_progress', '10'); // moving, but too soon
    at(66_000, 'g', 'in_progress', '20'); // 5 s later
    at(67_000, 'h', 'in_progress', '30');
    line.finish(); // the last one, not printed yet
    expect(log.chunks).toEqual(['a\n', 'd\n', 'e\n', 'g\n', 'h\n']);
  });
});
