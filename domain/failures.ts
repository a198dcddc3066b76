/**
 * The error taxonomy: every failure the engine reports is one of
 * - retryable: transient (timeouts, 5xx, rate limits, "already known"); activities retry it;
 * - terminal: retrying cannot help (revert, invalid recipient, asset/network mismatch); the payout fails;
 * - action_required: a person must act (fund the treasury, resolve a nonce conflict); the payout waits, visibly.
 */
import type { FailureCode } from './payout';

export type FailureCategory = 'retryable' | 'terminal' | 'action_required';

export const FAILURE_CATEGORIES: Record<FailureCode, FailureCategory> = {
  canceled: 'terminal',
  rejected: 'terminal',
  approval_expired: 'terminal',
  quote_expired: 'terminal',
  funding_timeout: 'terminal',
  insufficient_funds: 'action_required',
  insufficient_gas: 'action_required',
  nonce_conflict: 'action_required',
  simulation_reverted: 'terminal',
  transaction_reverted: 'terminal',
  broadcast_refused: 'terminal',
  fee_ceiling: 'action_required',
  invalid_destination: 'terminal',
  compliance_hold: 'action_required',
  compliance_refused: 'terminal',
};

export type RpcErrorKind = 'retryable' | 'already_known' | 'nonce_too_low' | 'underpriced' | 'insufficient_funds' | 'terminal';

/**
 * Classifies a node's error message. viem wraps node errors in its own classes, but the
 * node's text (geth, anvil, reth agree on these phrases) is what distinguishes them.
 */
export function classifyRpcMessage(message: string): RpcErrorKind {
  const text = message.toLowerCase();
  if (/already known|already imported|known transaction|transaction already exists/.test(text)) return 'already_known';
  if (/nonce too low|nonce has already been used|oldnonce/.test(text)) return 'nonce_too_low';
  if (/underpriced|fee too low|replacement transaction/.test(text)) return 'underpriced';
  if (/insufficient funds/.test(text)) return 'insufficient_funds';
  if (/execution reverted|invalid opcode|invalid sender|intrinsic gas too low|gas limit reached|exceeds block gas limit/.test(text))
    return 'terminal';
  return 'retryable';
}
