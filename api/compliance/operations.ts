/** A payout's compliance as documented: one declaration per route in api/compliance/routes.ts. */
import { named, type Operation } from '../openapi/operation';
import { payoutIdParams } from '../payouts/schemas';
import { complianceDecisionAnswerSchema, complianceDecisionBody, screeningListSchema } from './schemas';

const DecisionBody = named('ComplianceDecisionRequest', complianceDecisionBody);
const DecisionAnswer = named('ComplianceDecisionAnswer', complianceDecisionAnswerSchema);
const DECISION_CODES = {
  404: ['payout_not_found'],
  409: ['payout_terminal', 'not_on_compliance_hold', 'no_compliance_decision', 'update_refused'],
};

export const complianceOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/payouts/:id/compliance',
    operationId: 'listPayoutScreenings',
    summary: "A payout's screenings and compliance decisions",
    description:
      'The audit log of one payout: its sanctions screening at creation and right before signing (outcome `clear` or ' +
      '`hit`, with what listed the destination), and every decision on a compliance hold (who, why).',
    tag: 'Compliance',
    scope: 'payouts:read',
    params: payoutIdParams,
    responses: { 200: { description: 'Oldest first.', body: named('ScreeningList', screeningListSchema) } },
    codes: { 404: ['payout_not_found'] },
  },
  {
    method: 'post',
    path: '/v1/payouts/:id/compliance/release',
    operationId: 'releaseComplianceHold',
    summary: 'Release a payout from compliance hold',
    description:
      'For a false positive: the payout on hold (attention `compliance_hold`) goes on, and the screening before signing ' +
      'does not hold it again for the sources it was released from. The decision and its reason are in the audit log.',
    tag: 'Compliance',
    scope: 'compliance:manage',
    params: payoutIdParams,
    body: DecisionBody,
    responses: { 200: { description: 'Released.', body: DecisionAnswer } },
    codes: DECISION_CODES,
  },
  {
    method: 'post',
    path: '/v1/payouts/:id/compliance/refuse',
    operationId: 'refuseComplianceHold',
    summary: 'Refuse a payout on compliance hold',
    description: 'For a match: the payout ends failed (`compliance_refused`) and its funds are released; nothing was signed.',
    tag: 'Compliance',
    scope: 'compliance:manage',
    params: payoutIdParams,
    body: DecisionBody,
    responses: { 200: { description: 'Refused.', body: DecisionAnswer } },
    codes: DECISION_CODES,
  },
];
