import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiFailure, ApiUnreachable, MassPayoutClient } from './client';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A stand-in API on a free port: answers each request with the next of `answers`. */
async function fakeApi(answers: Array<{ status: number; body: unknown; headers?: Record<string, string> }>) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('mass-payout API client', () => {
  it('submits the file as multipart with the batch fields, the key and an Idempotency-Key', async () => {
    const api = await fakeApi([{ status: 201, body: { id: 'mp_1', status: 'in_progress', item_count: 1 } }]);
    try {
      const client = new MassPayoutClient(api.url, 'pek_k');
      const view = await client.submitCsv(
        {
          csv: Buffer.from('address,amount\n0x90F79bf6EB2c4f870365E785982E1f101E93b906,1\n'),
          fileName: 'pay.csv',
          network: 'local',
          asset: 'USDC',
          purpose: 'p',
          externalId: 'x-1',
        },
        'idem-1',
      );
      expect(view).toEqual({ id: 'mp_1', status: 'in_progress', item_count: 1 });
      const [request] = api.seen;
      expect(request).toMatchObject({ method: 'POST', url: '/v1/mass-payouts' });
      expect(request!.headers.authorization).toBe('Bearer pek_k');
      expect(request!.headers['idempotency-key']).toBe('idem-1');
      expect(request!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(request!.body).toMatch(/name="network"\r\n\r\nlocal\r\n/);
      expect(request!.body).toMatch(/name="external_id"\r\n\r\nx-1\r\n/);
      expect(request!.body).toMatch(/name="file"; filename="pay.csv"\r\nContent-Type: text\/csv\r\n\r\naddress,amount\n0x90F7/);
    } finally {
      await api.close();
    }
  });

  it('retries a 503 with the same Idempotency-Key, and hands over the API’s error otherwise', async () => {
    const api = await fakeApi([
      { status: 503, body: { error: { code: 'service_unavailable', message: 'retry' } } },
      {
        status: 400,
        body: {
          error: {
            type: 'validation',
            code: 'invalid_request',
            message: 'bad',
            fields: [{ field: 'file', line: 2, column: 'amount', message: 'zero' }],
          },
        },
      },
    ]);
    try {
      const client = new MassPayoutClient(api.url, 'pek_k', { retryDelayMs: 1 });
      const failure = await client
        .submitCsv({ csv: Buffer.from('x'), fileName: 'a.csv', network: 'local', asset: 'USDC', purpose: 'p' })
        .catch((error) => error);
      expect(failure).toBeInstanceOf(ApiFailure);
      expect(failure).toMatchObject({ status: 400, error: { code: 'invalid_request', fields: [{ line: 2, column: 'amount' }] } });
      expect(api.seen).toHaveLength(2);
      expect(api.seen[0]!.headers['idempotency-key']).toBe(api.seen[1]!.headers['idempotency-key']);
    } finally {
      await api.close();
    }
  });

  it('reads items with the query, and approves', async () => {
    const api = await fakeApi([
      { status: 200, body: { data: [], next_cursor: null } },
      { status: 200, body: { result: 'approved' } },
    ]);
    try {
      const client = new MassPayoutClient(api.url, 'pek_k');
      await client.items('mp_1', { status: 'failed', limit: 50 });
      await client.approve('mp_1', 'idem-2');
      expect(api.seen.map((request) => `${request.method} ${request.url}`)).toEqual([
        'GET /v1/mass-payouts/mp_1/items?status=failed&limit=50',
        'POST /v1/mass-payouts/mp_1/approve',
      ]);
    } finally {
      await api.close();
    }
  });

  it('turns a refused connection into ApiUnreachable with its code, without retrying', async () => {
    const api = await fakeApi([]);
    await api.close(); // nothing listens there now
    const started = Date.now();
    const failure = await new MassPayoutClient(api.url, 'pek_k', { retryDelayMs: 10_000 })
      .submitCsv({ csv: Buffer.from('x'), fileName: 'a.csv', network: 'local', asset: 'USDC', purpose: 'p' })
      .catch((error) => error);
    expect(failure).toBeInstanceOf(ApiUnreachable);
    expect(failure.reason).toMatch(/^ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
