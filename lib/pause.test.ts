import { wakeablePause } from './pause';

it('ends when its time is up, or at once when woken', async () => {
  const idle = wakeablePause();
  const startedAt = Date.now();
  await idle.pause(30);
  expect(Date.now() - startedAt).toBeGreaterThanOrEqual(25);

  const wokenAt = Date.now();
  const waiting = idle.pause(60_000);
  idle.wake();
  await waiting;
  expect(Date.now() - wokenAt).toBeLessThan(1_000);
  idle.wake(); // nothing to end: a no-op
});
