/**
 * What the end-to-end benchmarks share: the engine's worker and API as child processes of the bench (so their memory
 * is their own), viem clients for the stack's anvil, the test token, and an approval policy that needs nobody.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createPublicClient, createTestClient, createWalletClient, defineChain, http, type Address, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { testUsdcAbi } from '../contracts/artifacts/TestUSDC';
import { DEV_DEPLOYER_PRIVATE_KEY } from '../lib/config';
import { spawnManaged, tailFile, typescriptArgs, waitForPort, type ManagedProcess } from '../scripts/stack/process';

const ROOT = path.join(__dirname, '..');

export function chainClients(rpcUrl: string) {
  const transport = http(rpcUrl, { timeout: 60_000 });
  const chain = defineChain({
    id: 31337,
    name: 'local',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  return {
    chain,
    transport,
    publicClient: createPublicClient({ chain, transport, pollingInterval: 250 }) as PublicClient,
    testClient: createTestClient({ mode: 'anvil', chain, transport }),
  };
}

export type Chain = ReturnType<typeof chainClients>;

/** Mints the test token (by its owner, the dev deployer) and waits for the receipt. */
export async function mintUsdc(chain: Chain, token: Address, to: Address, units: bigint): Promise<void> {
  const owner = createWalletClient({
    account: privateKeyToAccount(DEV_DEPLOYER_PRIVATE_KEY),
    chain: chain.chain,
    transport: chain.transport,
  });
  const hash = await owner.writeContract({ address: token, abi: testUsdcAbi, functionName: 'mint', args: [to, units] });
  await chain.publicClient.waitForTransactionReceipt({ hash });
}

export async function usdcBalance(chain: Chain, token: Address, of: Address): Promise<bigint> {
  return chain.publicClient.readContract({ address: token, abi: testUsdcAbi, functionName: 'balanceOf', args: [of] });
}

/**
 * `node --import tsx worker.ts`, ready once it polls its task queue (it bundles the workflows first: seconds).
 * BENCH_WORKER_CPU_PROF=<dir> profiles it (`--cpu-prof`; the profile is written when it stops).
 */
export async function startWorker(env: NodeJS.ProcessEnv, runDir: string): Promise<ManagedProcess> {
  const logFile = path.join(runDir, 'worker.log');
  const profile = process.env.BENCH_WORKER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WORKER_CPU_PROF}`] : [];
  const worker = spawnManaged('worker', process.execPath, [...profile, ...typescriptArgs(path.join(ROOT, 'worker.ts'))], {
    // Several workers run side by side here: each takes a free metrics port (its log says which).
    env: { WORKER_METRICS_PORT: '0', ...env },
    cwd: ROOT,
    logFile,
  });
  let exited = false;
  void worker.exited.then(() => (exited = true));
  const deadline = Date.now() + 180_000;
  while (!fs.readFileSync(logFile, 'utf8').includes('polling task queue')) {
    if (exited || Date.now() > deadline) {
      throw new Error(
        `the worker ${exited ? 'exited' : 'did not start within 180 s'}; last lines of ${logFile}:\n${tailFile(logFile, 20)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return worker;
}

/** `node --import tsx api/server.ts`, ready once its port answers. */
export async function startApi(env: NodeJS.ProcessEnv, runDir: string, port: number): Promise<ManagedProcess> {
  const logFile = path.join(runDir, 'api.log');
  const api = spawnManaged('api', process.execPath, typescriptArgs(path.join(ROOT, 'api', 'server.ts')), {
    env,
    cwd: ROOT,
    logFile,
  });
  await waitForPort('127.0.0.1', port, { timeoutMs: 120_000, process: api, logFile });
  return api;
}

/** The bench account's policy: no approval for either asset, so the runs measure paying, not waiting for a person. */
export async function noApprovalPolicy(apiUrl: string, key: string): Promise<void> {
  const response = await fetch(`${apiUrl}/v1/approval-policies`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({ rules: { USDC: [{ approvals: 0 }], ETH: [{ approvals: 0 }] } }),
  });
  if (response.status !== 201) throw new Error(`POST /v1/approval-policies answered ${response.status}: ${await response.text()}`);
}
