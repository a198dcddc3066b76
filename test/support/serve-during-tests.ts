/** Serves an express app on a free local port for the tests of one file. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';

/** `served.url` is set once beforeAll has run; the server closes in afterAll. */
export function serveDuringTests(app: Express): { url: string } {
  const served = { url: '' };
  let server: Server;
  beforeAll(async () => {
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    served.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  return served;
}
