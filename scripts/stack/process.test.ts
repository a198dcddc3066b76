import fs from 'node:fs';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { freePort } from './process';

describe('freePort', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  // CI once drew 10080 for anvil; Node's fetch refuses it outright ("bad port", from the Fetch standard's list),
  // so the readiness probe failed against a server that was up.
  it('never hands out a port that fetch refuses to connect to', async () => {
    await expect(fetch('http://127.0.0.1:10080/')).rejects.toMatchObject({ cause: { message: 'bad port' } });
    const ephemeralStart = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
    const draws = [(10_080 - 10_000 + 0.5) / (ephemeralStart - 10_000), 0.5];
    jest.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? 0.5);
    const port = await freePort();
    expect(port).not.toBe(10_080);
  });
});
