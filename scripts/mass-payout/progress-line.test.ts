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

  it('prints a plain line every few seconds, on every status change, and the last one at the end', () => {
    let now = 0;
    const log = stream(false);
    const line = progressLine(log, { plainEveryMs: 5000, now: () => now });
    line.update('a', 'in_progress'); // first: printed
    now = 1000;
    line.update('b', 'in_progress'); // too soon
    now = 5000;
    line.update('c', 'in_progress'); // 5 s later
    now = 6000;
    line.update('d', 'in_progress');
    now = 6500;
    line.update('e', 'completed'); // status changed
    now = 7000;
    line.update('f', 'completed');
    line.finish(); // the last one, not printed yet
    expect(log.chunks).toEqual(['a\n', 'c\n', 'e\n', 'f\n']);
  });
});
