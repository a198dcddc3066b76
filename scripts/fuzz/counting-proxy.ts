/**
 * A pass-through HTTP proxy in front of the API that counts responses by status, so the fuzz run
 * reports what the server answered (every request schemathesis sent, its own checks' included)
 * rather than what a tool's report chose to record. Bytes are piped unchanged both ways.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  url: string;
  counts(): { requests: number; byStatus: Record<string, number> };
  close(): Promise<void>;
}

export async function countingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const byStatus: Record<string, number> = {};
  let requests = 0;
  const server: Server = createServer((incoming, outgoing) => {
    requests++;
    const forwarded = request(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        const status = String(answer.statusCode ?? 0);
        byStatus[status] = (byStatus[status] ?? 0) + 1;
        outgoing.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', (error) => {
      // The API dropped the connection: as much a server error as a 5xx, so it is counted as one.
      byStatus['599'] = (byStatus['599'] ?? 0) + 1;
      outgoing.destroy(error);
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => ({ requests, byStatus: { ...byStatus } }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
