export { payoutWorkflow } from './payout';
export { reconciliationWorkflow } from './reconciliation';
