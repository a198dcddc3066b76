/**
 * Local EVM chains (anvil from the @foundry-rs npm packages), one process per
 * simulated network. Accounts come from anvil's default test mnemonic.
 */
import fs from 'node:fs';
import path from 'node:path';
import { assertPortFree, sleep, spawnManaged, startupError, waitForPort } from './process';

type Log = (msg: string) => void;

/** node's platform/arch -> suffix of the @foundry-rs/anvil-* binary package. */
const PLATFORM: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', darwin: 'darwin', win32: 'win32' };
const ARCH: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };

export function anvilBinary(): string {
  const fromEnv = process.env.ANVIL_BIN;
  if (fromEnv) return fromEnv;

  const platform = PLATFORM[process.platform];
  const arch = ARCH[process.arch];
  if (!platform || !arch) {
    throw new Error(
      `No anvil npm package for ${process.platform}/${process.arch}. Install Foundry (https://getfoundry.sh) and set ANVIL_BIN.`,
    );
  }
  const pkg = `@foundry-rs/anvil-${platform}-${arch}`;
  let pkgDir: string;
  try {
    pkgDir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(
      `${pkg} is not installed (it is an optional dependency of @foundry-rs/anvil). ` +
        'Run `npm ci` (without --omit=optional), or install Foundry and set ANVIL_BIN.',
    );
  }
  const binary = path.join(pkgDir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing; reinstall ${pkg} or set ANVIL_BIN.`);
  ensureExecutable(binary);
  return binary;
}

/** Some installs (scripts disabled, odd tarball extractors) drop the exec bit. */
function ensureExecutable(file: string): void {
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    fs.chmodSync(file, 0o755);
  }
}

export interface StartAnvilOptions {
  port: number;
  chainId: number;
  /** Mine a block every N seconds; omitted = automine (a block per transaction). */
  blockTimeSeconds?: number;
  /** How far anvil's `safe` block trails its head (and `finalized`, twice that); anvil's default is 32. */
  slotsInAnEpoch?: number;
  /** Load state from and dump it to this file, so balances and contracts survive restarts. */
  stateFile?: string;
  logFile: string;
  log: Log;
}

export interface AnvilChain {
  rpcUrl: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

export async function startAnvil(options: StartAnvilOptions): Promise<AnvilChain> {
  const { port, chainId, blockTimeSeconds, slotsInAnEpoch, stateFile, logFile, log } = options;
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId)];
  if (blockTimeSeconds !== undefined) args.push('--block-time', String(blockTimeSeconds));
  if (slotsInAnEpoch !== undefined) args.push('--slots-in-an-epoch', String(slotsInAnEpoch));
  if (stateFile !== undefined) {
    fs.mkdirSync(path.dirname(path.resolve(stateFile)), { recursive: true });
    args.push('--state', stateFile);
  }

  await assertPortFree('127.0.0.1', port, `anvil chain ${chainId}`);
  const started = Date.now();
  const child = spawnManaged(`anvil-${chainId}`, anvilBinary(), args, { logFile });
  const rpcUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForPort('127.0.0.1', port, { timeoutMs: READY_TIMEOUT_MS, process: child, logFile });
    await waitForChainId(rpcUrl, chainId, started + READY_TIMEOUT_MS, logFile);
  } catch (error) {
    await child.stop();
    throw error;
  }
  log(`anvil chain ${chainId} ready at ${rpcUrl} in ${Date.now() - started} ms`);
  return { rpcUrl, stop: child.stop };
}

/** The port can belong to another server; only the expected chain id proves it is ours. */
async function waitForChainId(rpcUrl: string, chainId: number, deadline: number, logFile: string): Promise<void> {
  let last: string;
  for (;;) {
    try {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await response.json()) as { result?: string };
      if (body.result !== undefined && Number(body.result) === chainId) return;
      last = `eth_chainId returned ${JSON.stringify(body)}, expected ${chainId}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw startupError(`anvil at ${rpcUrl} not ready: ${last}`, logFile);
    await sleep(100);
  }
}
