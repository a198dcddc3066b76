import { nextAttemptAt, retryDelayMs } from './backoff';

const settings = { backoffBaseMs: 30_000, backoffMaxMs: 6 * 3_600_000 };
const DAY = 24 * 3_600_000;

describe('retry schedule', () => {
  it('doubles from the base per failed attempt, up to the cap', () => {
    const middle = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, settings, middle))).toEqual([30_000, 60_000, 120_000, 240_000, 480_000]);
    expect(retryDelayMs(12, settings, middle)).toBe(6 * 3_600_000);
    expect(retryDelayMs(1000, settings, middle)).toBe(6 * 3_600_000);
  });

  it('jitters by ±25%', () => {
    expect(retryDelayMs(3, settings, () => 0)).toBe(90_000);
    expect(retryDelayMs(3, settings, () => 1)).toBe(150_000);
  });

  it('gives up (dead letter) once the next attempt would fall after the window', () => {
    const start = new Date(Date.UTC(2026, 10, 21));
    const expires = new Date(start.getTime() + 3 * DAY);
    let now = start;
    let attempts = 0;
    for (;;) {
      attempts++;
      const next = nextAttemptAt(attempts, now, expires, settings, () => 0.5);
      if (!next) break;
      expect(next.getTime()).toBeLessThanOrEqual(expires.getTime());
      now = next;
    }
    // 30 s doubling to 6 h, then every 6 h: about 20 attempts over the 3 days.
    expect(attempts).toBeGreaterThanOrEqual(18);
    expect(attempts).toBeLessThanOrEqual(22);
    expect(expires.getTime() - now.getTime()).toBeLessThan(6 * 3_600_000 * 1.25);
  });
});
