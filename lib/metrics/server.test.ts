import { Counter } from 'prom-client';
import { processRegistry, startMetricsServer } from './index';

describe("the worker's metrics server", () => {
  it('serves the registry at /metrics only, and wants the token when one is set', async () => {
    const registry = processRegistry('worker');
    new Counter({ name: 'example_total', help: 'an example', registers: [registry] }).inc(3);
    const server = await startMetricsServer(registry, { port: 0, host: '127.0.0.1', token: 's3cret' });
    try {
      expect((await fetch(server.url)).status).toBe(401);
      expect((await fetch(server.url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(server.url, { headers: { authorization: 'Bearer s3cret' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^example_total\{process="worker"\} 3$/m);
      const other = await fetch(server.url.replace('/metrics', '/'), { headers: { authorization: 'Bearer s3cret' } });
      expect(other.status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
