/**
 * Deploys Circle's FiatToken on a test chain the way Circle's own deploy script does: the V2_2 implementation, a
 * FiatTokenProxy in front of it (after the SignatureChecker library the implementation links to) whose admin is a separate account (a proxy admin may not call the token), then the
 * initializers V1 to V2_2 through the proxy. One `roles` account is owner, master minter, pauser and blacklister.
 */
import { createPublicClient, createWalletClient, http, type Address, type Chain, type Hex } from 'viem';
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
  const address = (await mined(await asAdmin.deployContract({ abi: proxy.abi, bytecode: proxy.bytecode, args: [implementation] })))
    .contractAddress!;
  const roles = options.roles.address;
  const name = options.name ?? 'USD Coin';
  const symbol = options.symbol ?? 'USDC';
  const call = async (functionName: string, args: readonly unknown[]) =>
    void (await mined(await asRoles.writeContract({ address, abi: impl.abi, functionName, args } as never)));

  await call('initialize', [name, symbol, 'USD', 6, roles, roles, roles, roles]);
  await call('initializeV2', [name]);
  await call('initializeV2_1', [roles]);
  await call('initializeV2_2', [[], symbol]);
  // The master minter lets the roles account mint without a limit that matters to a test.
  await call('configureMinter', [roles, 2n ** 255n]);

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
