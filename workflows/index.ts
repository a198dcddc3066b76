export { payoutWorkflow } from './payout';
export { reconciliationWorkflow } from './reconciliation';
export { massPayoutWorkflow } from './mass-payout';
export { massPayoutChunkWorkflow } from './mass-payout-chunk';
