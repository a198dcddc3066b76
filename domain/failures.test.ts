import { classifyRpcMessage, FAILURE_CATEGORIES } from './failures';

describe('error taxonomy', () => {
  it.each([
    ['already known', 'already_known'],
    ['Transaction already imported', 'already_known'],
    ['nonce too low: next nonce 5, tx nonce 4', 'nonce_too_low'],
    ['replacement transaction underpriced', 'underpriced'],
    ['insufficient funds for gas * price + value', 'insufficient_funds'],
    ['execution reverted: ERC20: transfer amount exceeds balance', 'terminal'],
    ['request timed out', 'retryable'],
    ['HTTP request failed. Status: 503', 'retryable'],
    ['429 Too Many Requests', 'retryable'],
  ])('%s -> %s', (message, kind) => {
    expect(classifyRpcMessage(message)).toBe(kind);
  });

  it('asks a person to act only for what a person can fix', () => {
    const actionRequired = Object.entries(FAILURE_CATEGORIES)
      .filter(([, category]) => category === 'action_required')
      .map(([code]) => code)
      .sort();
    expect(actionRequired).toEqual(['compliance_hold', 'fee_ceiling', 'insufficient_funds', 'insufficient_gas', 'nonce_conflict']);
  });
});
