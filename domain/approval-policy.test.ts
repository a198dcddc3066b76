import { approvalsRequiredBy, checkApprovalRules, DEFAULT_APPROVAL_RULES, type ApprovalRules } from './approval-policy';
import { decideApproval } from './approval';

const decimals = (asset: string) => ({ USDC: 6, ETH: 18 })[asset];
const rules: ApprovalRules = { USDC: [{ below: '1000', approvals: 0 }, { below: '10000', approvals: 1 }, { approvals: 2 }] };

describe('approval policy', () => {
  it.each([
    [999_999_999n, 0],
    [1_000_000_000n, 1],
    [9_999_999_999n, 1],
    [10_000_000_000n, 2],
  ])('%s USDC base units need %i approvals', (units, approvals) => {
    expect(approvalsRequiredBy(rules, 'USDC', 6, units)).toBe(approvals);
  });

  it('needs none for assets the policy does not list', () => {
    expect(approvalsRequiredBy(rules, 'ETH', 18, 10n ** 30n)).toBe(0);
  });

  it('accepts the default rules and reports every problem of bad ones', () => {
    expect(checkApprovalRules(DEFAULT_APPROVAL_RULES, decimals)).toEqual([]);
    const problems = checkApprovalRules(
      {
        USDC: [
          { below: '100', approvals: 1 },
          { below: '50', approvals: 9 },
          { below: '1', approvals: 1 },
        ],
        DOGE: [{ approvals: 1 }],
        ETH: [],
      },
      decimals,
    ).map(([path]) => path);
    expect(problems).toEqual([
      'rules.USDC[1].approvals',
      'rules.USDC[1].below',
      'rules.USDC[2].below',
      'rules.USDC[2].below',
      'rules.DOGE',
      'rules.ETH',
    ]);
  });
});

describe('four-eyes approval decisions', () => {
  const base = { createdBy: 'alice', approvedBy: [] as string[], approvalsRequired: 2, awaitingApproval: true };
  it('refuses the creator', () => {
    expect(decideApproval({ ...base, approver: 'alice' })).toMatchObject({ accepted: false, reason: 'own_payout' });
  });
  it('counts distinct approvers', () => {
    expect(decideApproval({ ...base, approver: 'bob' })).toEqual({ accepted: true, approvedBy: ['bob'], remaining: 1 });
    expect(decideApproval({ ...base, approvedBy: ['bob'], approver: 'bob' })).toMatchObject({
      accepted: false,
      reason: 'already_approved',
    });
    expect(decideApproval({ ...base, approvedBy: ['bob'], approver: 'carol' })).toEqual({
      accepted: true,
      approvedBy: ['bob', 'carol'],
      remaining: 0,
    });
  });
  it('refuses when not awaiting approval', () => {
    expect(decideApproval({ ...base, awaitingApproval: false, approver: 'bob' })).toMatchObject({
      accepted: false,
      reason: 'not_awaiting_approval',
    });
  });
});
