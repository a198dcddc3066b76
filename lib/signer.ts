/**
 * Who signs treasury transactions. A local key for development; a KMS or MPC signer
 * implements the same interface. The key lives only inside the closure of viem's
 * account: it is never a property, never logged, never serialized.
 */
import { isAddressEqual, type Address, type Hex, type TransactionSerializable } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

export interface TransactionSigner {
  readonly address: Address;
  signTransaction(transaction: TransactionSerializable): Promise<Hex>;
}

/** `source` names where the key came from, for the error (never the key itself). */
export function localKeySigner(privateKey: Hex, source = 'TREASURY_PRIVATE_KEY'): TransactionSigner {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new Error(`${source} must be 0x followed by 64 hex digits`);
  }
  const account = privateKeyToAccount(privateKey);
  return {
    address: account.address,
    signTransaction: (transaction) => account.signTransaction(transaction),
  };
}

/** The signer of each network's treasury wallet (the networks file's `signer`, or one default for all). */
export interface TreasurySigners {
  forNetwork(networkId: string): TransactionSigner;
}

/** One signer, and so one treasury address, on every network: the default, and what most tests use. */
export const sameSignerEverywhere = (signer: TransactionSigner): TreasurySigners => ({ forNetwork: () => signer });

/**
 * The signer of a stored delivery: the network's, checked against the address that signed its first attempt. A bump
 * or a cancellation signed by another key would be another sender's transaction, and would not replace anything.
 */
export function signerOfDelivery(signers: TreasurySigners, networkId: string, fromAddress: string): TransactionSigner {
  const signer = signers.forNetwork(networkId);
  if (!isAddressEqual(signer.address, fromAddress as Address)) {
    throw new Error(
      `a delivery on ${networkId} was signed by ${fromAddress}, but the network's signer is now ${signer.address}: ` +
        'restore the old signer until its deliveries are final (docs/networks.md#one-signer-per-network)',
    );
  }
  return signer;
}
