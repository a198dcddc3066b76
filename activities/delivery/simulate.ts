/**
 * The simulation before signing, for single payouts and mass-payout items alike: a transfer that would revert fails
 * here, with the token's reason, before it costs gas. Tokens differ in what `transfer` returns:
 * - `true`, as ERC-20 says;
 * - nothing at all, as USDT does (it reverts on failure instead): a success;
 * - `false`, which some old tokens return instead of reverting: a failure.
 * Nothing comes back either from an address without code; that is refused, never mistaken for USDT.
 */
import { BaseError, ContractFunctionRevertedError, ContractFunctionZeroDataError, type Address, type PublicClient } from 'viem';
import type { DeliveryCall } from './sign';
import { tokenErrorsAbi } from './token-errors';

export type Simulation = { ok: true; gasEstimate: bigint } | { ok: false; reason: string };

/** A token transfer's revert, or a node's refusal that says "revert", as words; undefined for RPC trouble (retry). */
export function revertReason(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    return reverted.data?.errorName
      ? `${reverted.data.errorName}(${(reverted.data.args ?? []).join(', ')})`
      : (reverted.reason ?? reverted.shortMessage);
  }
  const text = `${error.shortMessage} ${error.details ?? ''}`;
  if (/revert/i.test(text)) return error.details || error.shortMessage;
  return undefined;
}

/** Simulates `call` from `from` and estimates its gas; throws only for RPC trouble, which the activity retries. */
export async function simulateDelivery(
  client: PublicClient,
  from: Address,
  call: DeliveryCall,
  token?: { address: Address; to: Address; amount: bigint },
): Promise<Simulation> {
  try {
    if (token) {
      const returned = await tokenTransferReturn(client, from, token);
      if (returned === false) return { ok: false, reason: 'the token returned false from transfer (it refused without reverting)' };
      if (returned === 'no-code') return { ok: false, reason: `there is no contract at the token address ${token.address}` };
    }
    return { ok: true, gasEstimate: await client.estimateGas({ account: from, ...call }) };
  } catch (error) {
    const reason = revertReason(error);
    if (reason === undefined) throw error;
    return { ok: false, reason };
  }
}

async function tokenTransferReturn(
  client: PublicClient,
  from: Address,
  token: { address: Address; to: Address; amount: bigint },
): Promise<boolean | 'none' | 'no-code'> {
  try {
    const { result } = await client.simulateContract({
      account: from,
      address: token.address,
      abi: tokenErrorsAbi,
      functionName: 'transfer',
      args: [token.to, token.amount],
    });
    return result;
  } catch (error) {
    // Empty return data: a USDT-style token that did not revert, or no contract at all.
    if (
      !(error instanceof BaseError) ||
      !(error.walk((cause) => cause instanceof ContractFunctionZeroDataError) instanceof ContractFunctionZeroDataError)
    ) {
      throw error;
    }
    const code = await client.getCode({ address: token.address });
    return code && code !== '0x' ? 'none' : 'no-code';
  }
}
