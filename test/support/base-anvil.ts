/**
 * The anvil that plays Base: chain id 8453 (scripts/stack/test-servers.ts starts it as BASE_ANVIL_RPC_URL), given
 * once per test run what Base has at its own addresses:
 * - Circle's FiatToken (contracts/fiat-token) behind its proxy at the USDC address Base's preset names;
 * - the OP-stack GasPriceOracle predeploy, a stub with a flat quote (anvil has no L1 fee of its own);
 * - our BatchTransfer.
 * The engine then runs on the `base` preset unchanged (finality, fees, in-flight window, l1_data_fee), but for its
 * RPC URL and BatchTransfer address. The token's roles key is derived from a fixed label, so every test file of the
 * run can mint and blacklist on the one deployment.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, defineChain, getAddress, http, keccak256, parseEther, toHex, type Address, type Chain } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { DEV_BATCH_DEPLOYER_PRIVATE_KEY, ensureBatchTransfer } from '../../contracts/batch-deploy';
import { deployFiatToken, fiatTokenAt, PROXY_IMPLEMENTATION_SLOT, type FiatTokenDeployment } from '../../contracts/fiat-token/deploy';
import { testContract } from '../../contracts/test/fixtures';
import { GAS_PRICE_ORACLE } from '../../lib/chain';
import { loadNetworksFile } from '../../lib/networks-file';

export const BASE_NETWORK = 'base';

export interface BaseAnvil {
  rpcUrl: string;
  chain: Chain;
  /** FiatToken at Base's USDC address. */
  usdc: FiatTokenDeployment;
  /** A networks file: `base` on this anvil, and `local-l2` beside it. */
  networksFile: string;
}

const testKey = (label: string) => keccak256(toHex(`payout-engine tests: Base anvil ${label}`));
const admin = privateKeyToAccount(testKey('FiatToken proxy admin'));
const roles = privateKeyToAccount(testKey('FiatToken roles'));

let prepared: Promise<BaseAnvil> | undefined;

/** Prepares the anvil on first use in a test file; later calls (and later files of the run) reuse what is there. */
export function baseAnvil(): Promise<BaseAnvil> {
  prepared ??= prepare();
  return prepared;
}

async function prepare(): Promise<BaseAnvil> {
  const rpcUrl = process.env.BASE_ANVIL_RPC_URL;
  if (!rpcUrl) throw new Error('BASE_ANVIL_RPC_URL is not set: run the tests with npm test, which starts the anvil playing Base');
  const chain = defineChain({
    id: 8453,
    name: 'Base (anvil)',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const client = createPublicClient({ chain, transport: http(rpcUrl) });
  const anvil = (method: string, params: unknown[]) => client.request({ method: method as never, params: params as never });

  const batchTransfer = await ensureBatchTransfer({ rpcUrl, deployerPrivateKey: DEV_BATCH_DEPLOYER_PRIVATE_KEY });
  const file = join(mkdtempSync(join(tmpdir(), 'base-anvil-')), 'networks.yaml');
  writeFileSync(
    file,
    [
      'networks:',
      `  - preset: ${BASE_NETWORK}`,
      `    rpc_urls: ['${rpcUrl}']`,
      `    batch_transfer_address: '${batchTransfer}'`,
      '  - preset: local-l2',
      '',
    ].join('\n'),
  );
  const base = loadNetworksFile(file, process.env).find((network) => network.id === BASE_NETWORK)!;
  if (base.chainId !== chain.id) throw new Error(`the base preset's chain id is ${base.chainId}, not ${chain.id}`);
  const usdcAddress = base.assets.find((asset) => asset.symbol === 'USDC')!.contractAddress!;

  await anvil('anvil_setCode', [GAS_PRICE_ORACLE, testContract('GasPriceOracleStub').deployedBytecode]);
  const code = await client.getCode({ address: usdcAddress });
  let usdc: FiatTokenDeployment;
  if (code && code !== '0x') {
    const slot = await client.getStorageAt({ address: usdcAddress, slot: PROXY_IMPLEMENTATION_SLOT });
    const implementation = getAddress(`0x${slot!.slice(-40)}`);
    usdc = fiatTokenAt({ rpcUrl, chain, roles, address: usdcAddress, implementation });
  } else {
    for (const account of [admin.address, roles.address]) await anvil('anvil_setBalance', [account, toHex(parseEther('100'))]);
    usdc = await deployFiatToken({ rpcUrl, chain, admin, roles, at: usdcAddress as Address });
  }
  return { rpcUrl, chain, usdc, networksFile: file };
}
