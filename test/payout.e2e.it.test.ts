/** A single payout end to end on the local anvil with our TestUSDC (test/support/payout-e2e.ts). */
import { localChain } from './support/e2e-chains';
import { describePayoutsEndToEnd } from './support/payout-e2e';

describePayoutsEndToEnd(localChain);
