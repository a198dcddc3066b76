import { describe, expect, it } from '@jest/globals';
import { keyedTurns } from './keyed-turns';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('keyedTurns', () => {
  it('runs calls on one key one at a time, in arrival order', async () => {
    const turns = keyedTurns();
    const events: string[] = [];
    let inside = 0;
    let most = 0;
    const call = (name: string) =>
      turns.run(['a'], async () => {
        inside += 1;
        most = Math.max(most, inside);
        events.push(`${name} in`);
        await tick();
        events.push(`${name} out`);
        inside -= 1;
        return name;
      });
    expect(await Promise.all([call('1'), call('2'), call('3')])).toEqual(['1', '2', '3']);
    expect(most).toBe(1);
    expect(events).toEqual(['1 in', '1 out', '2 in', '2 out', '3 in', '3 out']);
    expect(turns.size()).toBe(0);
  });

  it('lets different keys run at once', async () => {
    const turns = keyedTurns();
    let inside = 0;
    let most = 0;
    const call = (key: string) =>
      turns.run([key], async () => {
        inside += 1;
        most = Math.max(most, inside);
        await tick();
        inside -= 1;
      });
    await Promise.all([call('a'), call('b')]);
    expect(most).toBe(2);
  });

  it('takes several keys in sorted order, so opposite orders cannot deadlock', async () => {
    const turns = keyedTurns();
    const done = await Promise.all([
      turns.run(['b', 'a'], async () => {
        await tick();
        return 'ba';
      }),
      turns.run(['a', 'b'], async () => 'ab'),
    ]);
    expect(done).toEqual(['ba', 'ab']);
    expect(turns.size()).toBe(0);
  });

  it('lets `width` calls of one key run at once, and queues the next', async () => {
    const turns = keyedTurns(2);
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const call = (n: number) =>
      turns.run(['a'], async () => {
        inside += 1;
        most = Math.max(most, inside);
        await tick();
        order.push(n);
        inside -= 1;
      });
    await Promise.all([1, 2, 3, 4, 5].map(call));
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(turns.size()).toBe(0);
  });

  it('frees the key when the call throws', async () => {
    const turns = keyedTurns();
    await expect(turns.run(['a'], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await turns.run(['a'], async () => 'next')).toBe('next');
    expect(turns.size()).toBe(0);
  });
});
