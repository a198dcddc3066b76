/**
 * Deploys Circle's FiatToken on a test chain the way Circle's own deploy script does: the V2_2 implementation, a
 * FiatTokenProxy in front of it (after the SignatureChecker library the implementation links to) whose admin is a
 * separate account (a proxy admin may not call the token), then the initializers V1 to V2_2 through the proxy. One
 * `roles` account is owner, master minter, pauser and blacklister.
 *
 * With `at`, the proxy is placed at that address instead (anvil_setCode plus its two ZeppelinOS slots), so an anvil
 * that plays a real network has USDC at the address the network's preset names.
 */
import { createPublicClient, createWalletClient, http, keccak256, pad, toHex, type Address, type Chain, type Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { fiatTokenArtifacts, linkBytecode } from './compile';

export interface FiatTokenDeployment {
  /** The proxy: the token's address. */
  address: Address;
  implementation: Address;
  mint(to: Address, units: bigint): Promise<void>;
  blacklist(account: Address): Promise<void>;
  unBlacklist(account: Address): Promise<void>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
}

export async function deployFiatToken(options: {
  rpcUrl: string;
  chain: Chain;
  /** Deploys the proxy and is its admin. */
  admin: PrivateKeyAccount;
  roles: PrivateKeyAccount;
  name?: string;
  symbol?: string;
  /** Where the proxy lives (anvil only); default: where its deployment lands. */
  at?: Address;
}): Promise<FiatTokenDeployment> {
  const { implementation: impl, proxy, signatureChecker } = fiatTokenArtifacts();
  const transport = http(options.rpcUrl);
  const client = createPublicClient({ chain: options.chain, transport });
  const asAdmin = createWalletClient({ account: options.admin, chain: options.chain, transport });
  const asRoles = createWalletClient({ account: options.roles, chain: options.chain, transport });
  const mined = async (hash: Hex) => {
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`FiatToken setup transaction ${hash} reverted`);
    return receipt;
  };

  const library = (await mined(await asRoles.deployContract({ abi: signatureChecker.abi, bytecode: signatureChecker.bytecode })))
    .contractAddress!;
  const bytecode = linkBytecode(impl, { 'contracts/util/SignatureChecker.sol:SignatureChecker': library });
  const implementation = (await mined(await asRoles.deployContract({ abi: impl.abi, bytecode }))).contractAddress!;
  const deployed = (await mined(await asAdmin.deployContract({ abi: proxy.abi, bytecode: proxy.bytecode, args: [implementation] })))
    .contractAddress!;
  const address = options.at ?? deployed;
  if (options.at) await placeProxy(client, options.at, deployed, { implementation, admin: options.admin.address });
  const roles = options.roles.address;
  const name = options.name ?? 'USD Coin';
  const symbol = options.symbol ?? 'USDC';
  const call = rolesCall({ ...options, address });

  await call('initialize', [name, symbol, 'USD', 6, roles, roles, roles, roles]);
  await call('initializeV2', [name]);
  await call('initializeV2_1', [roles]);
  await call('initializeV2_2', [[], symbol]);
  // The master minter lets the roles account mint without a limit that matters to a test.
  await call('configureMinter', [roles, 2n ** 255n]);
  return fiatTokenAt({ ...options, address, implementation });
}

/** A FiatToken already deployed (by deployFiatToken) whose `roles` account this caller holds. */
export function fiatTokenAt(options: {
  rpcUrl: string;
  chain: Chain;
  roles: PrivateKeyAccount;
  address: Address;
  implementation: Address;
}): FiatTokenDeployment {
  const { address, implementation } = options;
  const call = rolesCall(options);
  return {
    address,
    implementation,
    mint: (to, units) => call('mint', [to, units]),
    blacklist: (account) => call('blacklist', [account]),
    unBlacklist: (account) => call('unBlacklist', [account]),
    pause: () => call('pause', []),
    unpause: () => call('unpause', []),
  };
}

/** The roles account calls the token and waits for it to be mined. */
function rolesCall(options: { rpcUrl: string; chain: Chain; roles: PrivateKeyAccount; address: Address }) {
  const { implementation: impl } = fiatTokenArtifacts();
  const transport = http(options.rpcUrl);
  const client = createPublicClient({ chain: options.chain, transport });
  const asRoles = createWalletClient({ account: options.roles, chain: options.chain, transport });
  return async (functionName: string, args: readonly unknown[]): Promise<void> => {
    const hash = await asRoles.writeContract({ address: options.address, abi: impl.abi, functionName, args } as never);
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`FiatToken ${functionName} (${hash}) reverted`);
  };
}

/** The proxy's storage slots, as AdminUpgradeabilityProxy asserts them in its constructor. */
export const PROXY_IMPLEMENTATION_SLOT = keccak256(toHex('org.zeppelinos.proxy.implementation'));
export const PROXY_ADMIN_SLOT = keccak256(toHex('org.zeppelinos.proxy.admin'));

/** Copies a deployed proxy's code to `at` and sets the two slots its constructor would have set; the token's own
 * storage at `at` starts empty, so the initializers then run there as on a fresh deployment. */
async function placeProxy(
  client: ReturnType<typeof createPublicClient>,
  at: Address,
  deployed: Address,
  slots: { implementation: Address; admin: Address },
): Promise<void> {
  const code = await client.getCode({ address: deployed });
  if (!code) throw new Error(`no FiatTokenProxy code at ${deployed}`);
  const anvil = (method: string, params: unknown[]) => client.request({ method: method as never, params: params as never });
  await anvil('anvil_setCode', [at, code]);
  await anvil('anvil_setStorageAt', [at, PROXY_IMPLEMENTATION_SLOT, pad(slots.implementation)]);
  await anvil('anvil_setStorageAt', [at, PROXY_ADMIN_SLOT, pad(slots.admin)]);
}
