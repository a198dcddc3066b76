/**
 * Deploys BatchTransfer (contracts/BatchTransfer.sol, from its committed artifact: no compiler at run time).
 * The contract is stateless and ownerless, so one deployment per chain serves every treasury wallet: each
 * approves it once for its token, and pays with payEth / payToken.
 */
import { createPublicClient, createWalletClient, defineChain, getAddress, getContractAddress, http, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { batchTransferAbi, batchTransferBytecode } from './artifacts/BatchTransfer';

export interface DeployBatchTransferOptions {
  rpcUrl: string;
  deployerPrivateKey: Hex;
  /** Progress lines; silent when absent. */
  log?: (message: string) => void;
}

/** Deploys a new BatchTransfer from the deployer's next nonce and waits for it to be mined. */
export async function deployBatchTransfer(opts: DeployBatchTransferOptions): Promise<{ address: Address; deployTxHash: Hex }> {
  const transport = http(opts.rpcUrl);
  // The chain object is built from what the endpoint reports, so this works on any chain id.
  const chainId = await createPublicClient({ transport }).getChainId();
  const chain = defineChain({
    id: chainId,
    name: chainId === 31337 ? 'Anvil' : `Chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [opts.rpcUrl] } },
  });
  const account = privateKeyToAccount(opts.deployerPrivateKey);
  // Local chains mine at once; poll receipts every 500 ms rather than viem's default 4 s.
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 500 });
  const walletClient = createWalletClient({ account, chain, transport, pollingInterval: 500 });

  const deployTxHash = await walletClient.deployContract({ abi: batchTransferAbi, bytecode: batchTransferBytecode });
  const receipt = await publicClient.waitForTransactionReceipt({ hash: deployTxHash });
  if (receipt.status !== 'success' || !receipt.contractAddress) {
    throw new Error(`BatchTransfer deployment ${deployTxHash} failed (status ${receipt.status})`);
  }
  const address = getAddress(receipt.contractAddress);
  opts.log?.(`BatchTransfer deployed at ${address} (chain ${chainId}, tx ${deployTxHash}, gas ${receipt.gasUsed})`);
  return { address, deployTxHash };
}

/**
 * Anvil's public account #2 deploys BatchTransfer on development chains, as its first transaction and
 * nothing else, so the contract's address is the same on every fresh chain and configuration can name it
 * up front (LOCAL_BATCH_TRANSFER_ADDRESS defaults to it). Test chains only: the key is public.
 */
export const DEV_BATCH_DEPLOYER_PRIVATE_KEY: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
export const DEV_BATCH_TRANSFER_ADDRESS: Address = '0x663F3ad617193148711d28f5334eE4Ed07016602';

/** Reuses BatchTransfer where it already has code (a restarted dev chain), else deploys it. */
export async function ensureBatchTransfer(opts: DeployBatchTransferOptions & { expectedAddress?: Address }): Promise<Address> {
  const expected = opts.expectedAddress ?? getContractAddress({ from: privateKeyToAccount(opts.deployerPrivateKey).address, nonce: 0n });
  const code = await createPublicClient({ transport: http(opts.rpcUrl) }).getCode({ address: expected });
  if (code && code !== '0x') return getAddress(expected);
  const { address } = await deployBatchTransfer(opts);
  if (getAddress(address) !== getAddress(expected))
    opts.log?.(`BatchTransfer landed at ${address}, not ${expected}: the deployer had sent transactions before; configure the address`);
  return address;
}
