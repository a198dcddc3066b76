/**
 * The chains the end-to-end tests run on, twice: the local anvil with our TestUSDC, and Base's preset on an anvil with
 * Base's chain id and Circle's FiatToken at Base's USDC address (test/support/base-anvil.ts). A test written against
 * E2eChain runs unchanged on both.
 */
import type { Address } from 'viem';
import { BASE_NETWORK, baseAnvil } from './base-anvil';
import { blockOnToken, mintUsdc, usdcAddress, type Engine } from './harness';

export interface E2eChain {
  /** The network the payouts are made on. */
  network: string;
  /** A second network the treasury pays on, without BatchTransfer (a mass payout there sends a transaction per item). */
  otherNetwork: string;
  /** What startEngine needs to pay on this chain (a networks file). */
  engineEnv: Record<string, string>;
  usdc(engine: Engine): Address;
  /** USDC arriving from outside the engine. */
  mintUsdc(engine: Engine, to: Address, units: bigint): Promise<void>;
  /** The token refuses transfers to `address` (TestUSDC's block list, FiatToken's blacklist). */
  blockOnToken(engine: Engine, address: Address): Promise<void>;
  /** The token's revert reason for a blocked address. */
  blockedReason: RegExp;
  /** Only one chain records workflow histories for the replay tests, so each is recorded once. */
  recordsHistories: boolean;
}

export interface E2eChainSetup {
  label: string;
  prepare(): Promise<E2eChain>;
}

export const localChain: E2eChainSetup = {
  label: 'the local anvil (TestUSDC)',
  prepare: async () => ({
    network: 'local',
    otherNetwork: 'local-l2',
    engineEnv: {},
    usdc: usdcAddress,
    mintUsdc,
    blockOnToken,
    blockedReason: /AccountBlocked/,
    recordsHistories: true,
  }),
};

export const baseChain: E2eChainSetup = {
  label: "Base's preset on anvil (chain 8453, Circle's FiatToken at Base's USDC address)",
  prepare: async () => {
    const { usdc, networksFile } = await baseAnvil();
    return {
      network: BASE_NETWORK,
      otherNetwork: 'local-l2',
      engineEnv: { NETWORKS_FILE: networksFile },
      usdc: () => usdc.address,
      mintUsdc: (_engine, to, units) => usdc.mint(to, units),
      blockOnToken: (_engine, address) => usdc.blacklist(address),
      blockedReason: /Blacklistable: account is blacklisted/,
      recordsHistories: false,
    };
  },
};
