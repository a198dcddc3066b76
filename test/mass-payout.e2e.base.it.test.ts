/**
 * The same mass-payout end-to-end tests on Base's preset (chain 8453) with Circle's FiatToken at Base's USDC address
 * (test/support/base-anvil.ts): BatchTransfer chunks call the real token code, and a blacklisted holder is split out.
 */
import { baseChain } from './support/e2e-chains';
import { describeMassPayoutsEndToEnd } from './support/mass-payout-e2e';

describeMassPayoutsEndToEnd(baseChain);
