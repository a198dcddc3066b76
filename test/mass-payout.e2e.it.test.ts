/** Mass payouts end to end on the local anvil with our TestUSDC (test/support/mass-payout-e2e.ts). */
import { localChain } from './support/e2e-chains';
import { describeMassPayoutsEndToEnd } from './support/mass-payout-e2e';

describeMassPayoutsEndToEnd(localChain);
