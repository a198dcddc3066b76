/**
 * The chain's RPC as the engine sees it: calls by network, JSON-RPC method and outcome (`ok` or the error's class),
 * and their latency. One observation per logical call (lib/chain.ts observes the fallback transport, not each URL), so
 * an RPC URL, which may hold a provider's API key, never becomes a label.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { RpcObserver } from '../chain';

export function rpcMetrics(registry: Registry): RpcObserver {
  const calls = new Counter({
    name: 'payout_rpc_requests_total',
    help: 'JSON-RPC calls to a network, by method and outcome (ok, timeout, http, rpc, other)',
    labelNames: ['network', 'method', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'payout_rpc_request_duration_seconds',
    help: 'JSON-RPC call latency, including the fallback to the next URL',
    labelNames: ['network', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    observed({ network, method, outcome, seconds }) {
      calls.inc({ network, method, outcome });
      latency.observe({ network, method }, seconds);
    },
  };
}
