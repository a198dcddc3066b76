/**
 * Deploys the TestUSDC token (contracts/TestUSDC.sol, from its committed artifact: no compiler at
 * run time) to an EVM JSON-RPC endpoint, normally a local anvil, and mints balances.
 *
 * Deterministic address: a contract created by a plain transaction lives at
 * keccak256(rlp([deployer, nonce]))[12:], so it depends only on the deployer and the nonce of the
 * deploying transaction. On a fresh anvil the deployer (anvil's account #0 by default) has sent
 * nothing, so if deploying the token is its first transaction (nonce 0) the token always lands at
 * getContractAddress({ from: deployer, nonce: 0n }) = 0x5FbDB2315678afecb367f032d93F642f64180aa3 for
 * account #0. Configuration can therefore name the token address up front, and ensureTestToken()
 * looks there first, so running the setup again against the same chain reuses the token instead of
 * deploying a second one. Anything else the deployer sends first would move the token elsewhere:
 * let ensureTestToken() be the deployer's first transaction, or use another account for the rest.
 *
 * CLI: `npx tsx contracts/deploy.ts` ensures the token on ANVIL_RPC_URL (default
 * http://127.0.0.1:8545) with DEPLOYER_PRIVATE_KEY (default anvil account #0), minting
 * 1,000,000 USDC to the deployer, and prints the address.
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  getContractAddress,
  http,
  isAddressEqual,
  type Address,
  type Chain,
  type Hex,
} from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { testUsdcAbi, testUsdcBytecode } from './artifacts/TestUSDC';

/** Anvil's default account #0 (0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266); public, test chains only. */
export const ANVIL_DEFAULT_DEPLOYER_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/** Where account #0's first deployment lands: the token's address on a fresh anvil set up by ensureTestToken(). */
export const ANVIL_DEFAULT_TOKEN_ADDRESS: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

export const TEST_TOKEN_SYMBOL = 'USDC';
export const TEST_TOKEN_DECIMALS = 6;

export interface TestTokenMint {
  address: Address;
  /** Base units (6 decimals): 1 USDC is 1_000_000n. */
  amount: bigint;
}

export interface DeployTestTokenOptions {
  rpcUrl: string;
  deployerPrivateKey: Hex;
  mintTo: TestTokenMint[];
  /** Progress lines; silent when absent. */
  log?: (message: string) => void;
}

export interface EnsureTestTokenOptions extends DeployTestTokenOptions {
  /** Where configuration says the token is. Defaults to the deployer's nonce-0 deployment address. */
  expectedAddress?: Address;
}

export interface EnsureTestTokenResult {
  address: Address;
  /** The deployment transaction, or null when an existing token was reused. */
  deployTxHash: Hex | null;
  reused: boolean;
  /** Mints sent by this call (top-ups only, when reused). */
  mintTxHashes: Hex[];
}

/** The address the deployer's first (nonce 0) contract creation gets: the token's on a fresh chain. */
export function predictTestTokenAddress(deployerPrivateKey: Hex): Address {
  return getContractAddress({ from: privateKeyToAccount(deployerPrivateKey).address, nonce: 0n });
}

/** Deploys a new TestUSDC, waits for it, then mints each `mintTo` amount (in order, each waited for). */
export async function deployTestToken(opts: DeployTestTokenOptions): Promise<{ address: Address; deployTxHash: Hex }> {
  const conn = await connect(opts);
  const deployed = await deploy(conn);
  for (const { address, amount } of opts.mintTo) {
    if (amount > 0n) await mint(conn, deployed.address, address, amount);
  }
  return deployed;
}

/**
 * Idempotent setup: reuses the token at `expectedAddress` (default: the deployer's nonce-0
 * deployment address, see the top of this file) when the code there is our token (symbol "USDC",
 * 6 decimals), otherwise deploys one. Then tops up: each `mintTo` holder whose balance is below
 * `amount` is minted the difference, so afterwards every holder has at least `amount`.
 *
 * With an `expectedAddress` it never leaves the token somewhere else: it throws if that address
 * holds a different contract, or if a deployment now (at the deployer's current nonce) would not
 * land there.
 */
export async function ensureTestToken(opts: EnsureTestTokenOptions): Promise<EnsureTestTokenResult> {
  const conn = await connect(opts);
  const deployer = conn.account.address;
  const candidate = opts.expectedAddress ?? getContractAddress({ from: deployer, nonce: 0n });
  const found = await inspect(conn, candidate);

  let address: Address;
  let deployTxHash: Hex | null = null;
  if (found === 'ours') {
    address = getAddress(candidate);
    conn.log(`TestUSDC already deployed at ${address} (chain ${conn.chain.id}); reusing it`);
  } else {
    if (opts.expectedAddress) {
      if (found === 'foreign') {
        throw new Error(`${opts.expectedAddress} on chain ${conn.chain.id} holds a contract that is not TestUSDC (symbol/decimals differ)`);
      }
      const nonce = await conn.publicClient.getTransactionCount({ address: deployer, blockTag: 'pending' });
      const next = getContractAddress({ from: deployer, nonce: BigInt(nonce) });
      if (!isAddressEqual(next, opts.expectedAddress)) {
        throw new Error(
          `no TestUSDC at ${opts.expectedAddress} on chain ${conn.chain.id}, and deploying now (deployer ${deployer}, ` +
            `nonce ${nonce}) would put it at ${next}: the expected address only works where the deploy is the ` +
            `deployer's first transaction (e.g. a fresh anvil), or the token is already there`,
        );
      }
    } else if (found === 'foreign') {
      conn.log(`${candidate} holds another contract; deploying TestUSDC at the deployer's next nonce`);
    }
    ({ address, deployTxHash } = await deploy(conn));
  }

  const mintTxHashes: Hex[] = [];
  for (const { address: holder, amount } of opts.mintTo) {
    const balance = await conn.publicClient.readContract({ address, abi: testUsdcAbi, functionName: 'balanceOf', args: [holder] });
    if (balance < amount) mintTxHashes.push(await mint(conn, address, holder, amount - balance));
  }
  return { address, deployTxHash, reused: deployTxHash === null, mintTxHashes };
}

// ---------------------------------------------------------------------------------------------

type Connection = Awaited<ReturnType<typeof connect>>;

async function connect(opts: DeployTestTokenOptions) {
  const transport = http(opts.rpcUrl);
  // The chain object is built from what the endpoint reports, so this works on any chain id.
  const chainId = await createPublicClient({ transport }).getChainId();
  const chain: Chain = defineChain({
    id: chainId,
    name: chainId === 31337 ? 'Anvil' : `Chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [opts.rpcUrl] } },
  });
  const account: PrivateKeyAccount = privateKeyToAccount(opts.deployerPrivateKey);
  // Local chains mine at once; poll receipts every 500 ms rather than viem's default 4 s.
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 500 });
  const walletClient = createWalletClient({ account, chain, transport, pollingInterval: 500 });
  return { chain, account, publicClient, walletClient, log: opts.log ?? (() => undefined) };
}

async function deploy(conn: Connection): Promise<{ address: Address; deployTxHash: Hex }> {
  const deployTxHash = await conn.walletClient.deployContract({ abi: testUsdcAbi, bytecode: testUsdcBytecode });
  const receipt = await conn.publicClient.waitForTransactionReceipt({ hash: deployTxHash });
  if (receipt.status !== 'success' || !receipt.contractAddress) {
    throw new Error(`TestUSDC deployment ${deployTxHash} failed (status ${receipt.status})`);
  }
  const address = getAddress(receipt.contractAddress);
  conn.log(`TestUSDC deployed at ${address} (chain ${conn.chain.id}, tx ${deployTxHash}, gas ${receipt.gasUsed})`);
  return { address, deployTxHash };
}

async function mint(conn: Connection, token: Address, to: Address, amount: bigint): Promise<Hex> {
  // Simulate first so a revert (NotOwner, AccountBlocked, ...) surfaces decoded, before any gas is spent.
  const { request } = await conn.publicClient.simulateContract({
    account: conn.account,
    address: token,
    abi: testUsdcAbi,
    functionName: 'mint',
    args: [to, amount],
  });
  const hash = await conn.walletClient.writeContract(request);
  const receipt = await conn.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`mint of ${amount} to ${to} failed (tx ${hash})`);
  conn.log(`minted ${amount} base units of TestUSDC to ${to} (tx ${hash})`);
  return hash;
}

/** 'none': no code; 'ours': answers symbol() "USDC" and decimals() 6; 'foreign': any other contract. */
async function inspect(conn: Connection, address: Address): Promise<'none' | 'ours' | 'foreign'> {
  const code = await conn.publicClient.getCode({ address });
  if (!code || code === '0x') return 'none';
  try {
    const [symbol, decimals] = await Promise.all([
      conn.publicClient.readContract({ address, abi: testUsdcAbi, functionName: 'symbol' }),
      conn.publicClient.readContract({ address, abi: testUsdcAbi, functionName: 'decimals' }),
    ]);
    return symbol === TEST_TOKEN_SYMBOL && decimals === TEST_TOKEN_DECIMALS ? 'ours' : 'foreign';
  } catch {
    return 'foreign';
  }
}

if (require.main === module) {
  const deployerPrivateKey = (process.env.DEPLOYER_PRIVATE_KEY as Hex | undefined) ?? ANVIL_DEFAULT_DEPLOYER_KEY;
  ensureTestToken({
    rpcUrl: process.env.ANVIL_RPC_URL ?? 'http://127.0.0.1:8545',
    deployerPrivateKey,
    mintTo: [{ address: privateKeyToAccount(deployerPrivateKey).address, amount: 1_000_000n * 10n ** 6n }],
    log: (message) => console.log(`contracts: ${message}`),
  }).then(
    (result) => console.log(result.address),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
