/**
 * The same single-payout end-to-end tests on Base's preset (chain 8453: 10 confirmations and the safe block, the
 * OP-stack L1 fee quote in the gas hold), with Circle's FiatToken at Base's USDC address (test/support/base-anvil.ts).
 */
import { baseChain } from './support/e2e-chains';
import { describePayoutsEndToEnd } from './support/payout-e2e';

describePayoutsEndToEnd(baseChain);
