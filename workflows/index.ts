export { payoutWorkflow } from './payout';
