/** /v1/approval-policies as documented: one declaration per route in api/approval-policies/routes.ts. */
import { approvalPolicyListSchema, approvalPolicySchema, createApprovalPolicyBody, listApprovalPoliciesQuery } from './schemas';
import { named, type Operation } from '../openapi/operation';

export const approvalPolicyOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/approval-policies',
    operationId: 'createApprovalPolicy',
    summary: 'Add an approval policy version',
    description: 'Creates the next version for the account (or the `program`); payouts created afterwards are judged by it.',
    tag: 'Approval policies',
    scope: 'approval_policies:manage',
    body: named('CreateApprovalPolicyRequest', createApprovalPolicyBody),
    responses: { 201: { description: 'The new version.', body: named('ApprovalPolicy', approvalPolicySchema) } },
  },
  {
    method: 'get',
    path: '/v1/approval-policies',
    operationId: 'listApprovalPolicies',
    summary: 'List approval policy versions',
    description: 'Every version, by program, newest version first. An account without one uses the built-in default (version 0).',
    tag: 'Approval policies',
    scope: 'payouts:read',
    query: listApprovalPoliciesQuery,
    responses: { 200: { description: 'All versions.', body: named('ApprovalPolicyList', approvalPolicyListSchema) } },
  },
];
