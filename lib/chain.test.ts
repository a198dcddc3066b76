import { custom, HttpRequestError, RpcRequestError, TimeoutError } from 'viem';
import { observedTransport, rpcOutcome, type RpcObserver } from './chain';

it('classes RPC errors into a closed set', () => {
  expect(rpcOutcome(new TimeoutError({ body: {}, url: 'http://x' }))).toBe('timeout');
  expect(rpcOutcome(new HttpRequestError({ url: 'http://x', status: 502 }))).toBe('http');
  expect(rpcOutcome(new RpcRequestError({ body: {}, url: 'http://x', error: { code: -32000, message: 'nonce too low' } }))).toBe('rpc');
  expect(rpcOutcome(new Error('socket hang up'))).toBe('other');
});

it('reports each call with its method, outcome and latency, and passes answers and errors through', async () => {
  const seen: Parameters<RpcObserver['observed']>[0][] = [];
  const inner = custom({
    async request({ method }: { method: string }) {
      if (method === 'eth_fail') throw new RpcRequestError({ body: {}, url: 'http://x', error: { code: -32000, message: 'no' } });
      return '0x1';
    },
  });
  const transport = observedTransport(inner, 'local', { observed: (call) => seen.push(call) })({});
  await expect(transport.request({ method: 'eth_blockNumber' })).resolves.toBe('0x1');
  await expect(transport.request({ method: 'eth_fail' } as never)).rejects.toThrow();
  expect(seen.map(({ network, method, outcome }) => ({ network, method, outcome }))).toEqual([
    { network: 'local', method: 'eth_blockNumber', outcome: 'ok' },
    { network: 'local', method: 'eth_fail', outcome: 'rpc' },
  ]);
  expect(seen.every((call) => call.seconds >= 0)).toBe(true);
});
