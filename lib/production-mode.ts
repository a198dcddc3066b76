/**
 * NODE_ENV=production fails closed: the engine refuses to start with a setting that is only safe on a laptop. Every
 * refusal is listed at once, each with what to set instead, so a deploy is fixed in one round.
 */
import { isAddressEqual, type Address } from 'viem';
import type { NetworkDefinition } from '../domain/networks';

/** anvil's and hardhat's default accounts (mnemonic "test test … junk", indexes 0-9): their keys are public. */
export const PUBLIC_DEV_ACCOUNTS: readonly Address[] = [
  '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
  '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
  '0x976EA74026E726554dB657fA54763abd0C3a0aa9',
  '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955',
  '0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f',
  '0xa0Ee7A142d267C1f36714E4a8F75612F20a79720',
];

/** Chain ids that only development chains use (anvil, hardhat, ganache, and the local L2 preset). */
const DEVELOPMENT_CHAIN_IDS = new Set([31337, 31338, 1337]);

export const isProduction = (env: Record<string, string | undefined>): boolean => env.NODE_ENV === 'production';

export class ProductionModeError extends Error {
  constructor(readonly refusals: string[]) {
    super(
      `NODE_ENV=production refuses to start:\n${refusals.map((refusal) => `  - ${refusal}`).join('\n')}\n` +
        'Fix each of these (docs/deploy.md), or run without NODE_ENV=production for local development.',
    );
  }
}

/** What production refuses in the engine's settings (networks, webhooks); empty when all is well. */
export function productionRefusals(settings: {
  networks: readonly NetworkDefinition[];
  networksFile: string | undefined;
  webhooksAllowPrivate: boolean;
}): string[] {
  const refusals: string[] = [];
  for (const network of settings.networks) {
    if (network.developmentOnly || DEVELOPMENT_CHAIN_IDS.has(network.chainId)) {
      refusals.push(
        `network ${network.id} (chain ${network.chainId}) is a local development chain` +
          (settings.networksFile ? '' : ' from the default networks file') +
          ': set NETWORKS_FILE to a file that lists your real networks (start from config/networks/testnets.example.yaml)',
      );
      continue;
    }
    network.rpcUrls.forEach((url, index) => {
      if (/^(http|ws):/i.test(url)) {
        // Only the scheme and host: RPC URLs often carry an API key in their path or query.
        refusals.push(
          `network ${network.id}'s RPC URL ${index + 1} (${new URL(url).protocol}//${new URL(url).host}) is not encrypted: ` +
            'use its https:// or wss:// URL (the engine signs on what the node answers)',
        );
      }
    });
  }
  if (settings.webhooksAllowPrivate) {
    refusals.push(
      'WEBHOOK_ALLOW_PRIVATE_URLS is on: webhook targets could then reach internal addresses; unset it ' +
        '(production delivers to public https URLs only)',
    );
  }
  return refusals;
}

/** A treasury whose key is public (anvil's accounts) is refused in production: anyone could drain it. */
export function assertProductionSigner(address: Address, env: Record<string, string | undefined>, networkId?: string): void {
  if (!isProduction(env)) return;
  if (PUBLIC_DEV_ACCOUNTS.some((account) => isAddressEqual(account, address))) {
    throw new ProductionModeError([
      networkId
        ? `network ${networkId}'s treasury ${address} is one of anvil's development accounts, whose private keys are public: ` +
          'give its `signer` in the networks file an AWS KMS key (kms_key_id, docs/networks.md#the-treasury-key), or a key of your own'
        : `the treasury ${address} is one of anvil's development accounts, whose private keys are public: ` +
          'set TREASURY_KMS_KEY_ID to an AWS KMS key (docs/networks.md#the-treasury-key), or a key of your own',
    ]);
  }
}
