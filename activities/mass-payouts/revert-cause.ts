/** Pure decoding of a simulated BatchTransfer revert, so a chunk knows which item (or the payer) to blame. */
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Address, type Hex } from 'viem';
import { tokenErrorsAbi } from '../delivery/token-errors';

/** Why a simulated batch reverted: an item that cannot be paid, the payer's own problem, or something else. */
export type RevertCause =
  { kind: 'item'; index: number; reason: string } | { kind: 'payer'; reason: string } | { kind: 'other'; reason: string };

function decodeTokenReason(data: Hex): string {
  if (data === '0x') return 'the token returned false';
  try {
    const decoded = decodeErrorResult({ abi: tokenErrorsAbi, data });
    return `${decoded.errorName}(${(decoded.args ?? []).join(', ')})`;
  } catch {
    return `the token reverted with ${data.slice(0, 74)}`;
  }
}

/** Reads a BatchTransfer revert; undefined when the error is not a revert at all (RPC trouble: retry). */
export function revertCause(error: unknown, treasury: Address, nativeSymbol: string): RevertCause | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) {
    const text = `${error.shortMessage} ${error.details ?? ''}`;
    return /revert/i.test(text) ? { kind: 'other', reason: error.details || error.shortMessage } : undefined;
  }
  const name = reverted.data?.errorName;
  const args = (reverted.data?.args ?? []) as readonly unknown[];
  if (name === 'EthTransferFailed') {
    return {
      kind: 'item',
      index: Number(args[0] as bigint),
      reason: `the recipient ${String(args[1])} rejects ${nativeSymbol} (a contract without a payable receive, or one that reverts or runs out of gas)`,
    };
  }
  if (name === 'TokenTransferFailed') {
    const reason = decodeTokenReason(args[2] as Hex);
    // The payer's balance or allowance is short: no item is at fault, the treasury is.
    if (/Insufficient/.test(reason) || reason.toLowerCase().includes(treasury.toLowerCase().slice(2))) return { kind: 'payer', reason };
    return { kind: 'item', index: Number(args[0] as bigint), reason: `the token refused the transfer: ${reason}` };
  }
  return { kind: 'other', reason: name ? `${name}(${args.join(', ')})` : (reverted.reason ?? reverted.shortMessage) };
}
