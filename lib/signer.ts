/**
 * Who signs treasury transactions. A local key for development; a KMS or MPC signer
 * implements the same interface. The key lives only inside the closure of viem's
 * account: it is never a property, never logged, never serialized.
 */
import type { Address, Hex, TransactionSerializable } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

export interface TransactionSigner {
  readonly address: Address;
  signTransaction(transaction: TransactionSerializable): Promise<Hex>;
}

export function localKeySigner(privateKey: Hex): TransactionSigner {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new Error('TREASURY_PRIVATE_KEY must be 0x followed by 64 hex digits');
  }
  const account = privateKeyToAccount(privateKey);
  return {
    address: account.address,
    signTransaction: (transaction) => account.signTransaction(transaction),
  };
}
