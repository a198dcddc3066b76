import { ApiFailure, ApiUnreachable, type MassPayoutView } from './client';
import { followMassPayout } from './follow';

const view = (status: string, completed = 0): MassPayoutView => ({
  id: 'mp_1',
  status,
  item_count: 2,
  total_amount: '2',
  counts: { completed: { count: completed, amount: String(completed) } },
});

function client(answers: Array<MassPayoutView | Error>) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    get: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('following a mass payout', () => {
  it('reads until a final status and reports every reading', async () => {
    const seen: string[] = [];
    const result = await followMassPayout(client([view('pending_approval'), view('in_progress', 1), view('completed', 2)]), 'mp_1', {
      intervalMs: 1,
      onUpdate: (v) => seen.push(`${v.status}:${v.counts.completed?.count}`),
    });
    expect(result).toEqual({ outcome: 'final', view: view('completed', 2) });
    expect(seen).toEqual(['pending_approval:0', 'in_progress:1', 'completed:2']);
  });

  it('waits out an API that does not answer for a while', async () => {
    const troubles: number[] = [];
    const down = new ApiUnreachable('http://x', 'ECONNREFUSED');
    const busy = new ApiFailure(503, { code: 'service_unavailable' }, '/p');
    const result = await followMassPayout(client([down, busy, view('failed')]), 'mp_1', {
      intervalMs: 1,
      onUpdate: () => undefined,
      onTrouble: (_error, sinceMs) => troubles.push(sinceMs),
    });
    expect(result.outcome).toBe('final');
    expect(troubles).toHaveLength(2);
  });

  it('gives up on an API that stays away, and at once on an answer waiting cannot change', async () => {
    const down = new ApiUnreachable('http://x', 'ECONNREFUSED');
    await expect(followMassPayout(client([down]), 'mp_1', { intervalMs: 5, giveUpAfterMs: 20, onUpdate: () => undefined })).rejects.toBe(
      down,
    );
    const gone = new ApiFailure(404, { code: 'mass_payout_not_found' }, '/p');
    const api = client([gone, view('completed')]);
    await expect(followMassPayout(api, 'mp_1', { intervalMs: 1, onUpdate: () => undefined })).rejects.toBe(gone);
    expect(api.calls).toBe(1);
  });

  it('stops when aborted (Ctrl-C), with the last reading, without waiting for the next', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const result = await followMassPayout(client([view('in_progress', 1)]), 'mp_1', {
      intervalMs: 60_000,
      signal: stop.signal,
      onUpdate: () => setTimeout(() => stop.abort(), 10),
    });
    expect(result).toEqual({ outcome: 'stopped', view: view('in_progress', 1) });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
