/**
 * Deploys a test-only token (contracts/test/MockTokens.sol) on an anvil before the engine starts, so a networks file
 * can name its address. The deployer is a fresh account funded by anvil_setBalance; it also mints and sets flags.
 */
import { createPublicClient, createWalletClient, getAddress, http, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { testContract, type TestContractName } from '../../contracts/test/fixtures';

export async function deployTestToken(rpcUrl: string, name: TestContractName) {
  const { abi, bytecode } = testContract(name);
  const deployer = privateKeyToAccount(generatePrivateKey());
  const transport = http(rpcUrl);
  const reader = createPublicClient({ transport });
  const wallet = createWalletClient({ account: deployer, transport });
  const chain = {
    id: await reader.getChainId(),
    name: 'anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  };
  await reader.request({ method: 'anvil_setBalance' as never, params: [deployer.address, '0x56BC75E2D63100000'] as never });
  const deployed = await wallet.deployContract({ abi, bytecode, chain });
  const address = getAddress((await reader.waitForTransactionReceipt({ hash: deployed })).contractAddress!);
  /** Calls one of the token's functions as its deployer and waits for the receipt. */
  const write = async (functionName: string, args: readonly unknown[]) => {
    const hash = await wallet.writeContract({ address, abi, functionName, args, chain } as never);
    await reader.waitForTransactionReceipt({ hash });
  };
  const balanceOf = async (holder: Address) =>
    (await reader.readContract({ address, abi, functionName: 'balanceOf', args: [holder] })) as bigint;
  return { address, abi, write, balanceOf };
}
