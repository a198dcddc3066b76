/** GET /v1/balances: the ledger's and the chain's view of each treasury wallet and asset. */
import { z } from 'zod';
import { decimalString } from '../http/schemas';

const signedDecimal = z
  .string()
  .regex(/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/)
  .meta({ description: 'A decimal string in whole units; negative only for the external account (money that came in).' });

export const balanceSchema = z.object({
  network: z.string(),
  wallet: z.string().meta({ description: 'The treasury wallet (lowercase).' }),
  asset: z.string(),
  available: signedDecimal.meta({ description: 'Free to reserve: the ledger treasury account.' }),
  reserved: signedDecimal.meta({ description: 'Committed to payouts that have not ended.' }),
  fees: signedDecimal,
  conversion: signedDecimal.meta({ description: "The conversion desk's side of currency exchanges, still in the wallet." }),
  ledger_total: signedDecimal.meta({ description: 'available + reserved + fees + conversion: what the ledger says the wallet holds.' }),
  on_chain: decimalString.nullable().meta({ description: 'Read from the chain now (null when the node cannot be reached).' }),
  difference: signedDecimal.nullable().meta({
    description:
      'ledger_total - on_chain: non-zero only while payouts are in flight, while a deposit is younger than the network’s confirmations plus one reconciliation interval, or for a mismatch.',
  }),
  payouts_sent: signedDecimal,
  network_gas: signedDecimal,
});

export const balanceListSchema = z.object({ object: z.literal('list'), data: z.array(balanceSchema) });
