/** GET /v1/wallets: each hot wallet's owner (the worker process that sends for it) and what it last saw. */
import { z } from 'zod';
import { decimalString, integerString, timestamp } from '../http/schemas';

export const walletSchema = z.object({
  network: z.string(),
  address: z.string().meta({ description: 'The hot wallet.' }),
  owner: z.object({
    holder: z.string().meta({ description: 'The worker process that holds the lease (host:pid:random).' }),
    epoch: integerString.meta({ description: 'Raised by every takeover; each write of the owner checks it.' }),
    acquired_at: timestamp,
    lease_expires_at: timestamp,
    live: z.boolean().meta({ description: 'False when the lease ran out: no process owns the wallet now (all workers down?).' }),
  }),
  status: z
    .object({
      observed_at: timestamp,
      head: integerString.meta({ description: 'The newest block the owner saw.' }),
      in_flight: z.number().int().meta({ description: 'Transactions signed or sent and not final yet.' }),
      chain_nonce: integerString.meta({ description: 'The wallet’s transaction count at the head.' }),
      stored_next_nonce: integerString.nullable().meta({ description: 'The next nonce the engine will sign.' }),
      nonce_lag: integerString.meta({ description: 'stored_next_nonce - chain_nonce: signed nonces the chain has not mined yet.' }),
      oldest_unconfirmed: z
        .object({ delivery_id: z.string(), nonce: integerString, since: timestamp })
        .nullable()
        .meta({ description: 'The lowest nonce in flight: the one everything else waits behind.' }),
      balance: z.object({ asset: z.string(), amount: decimalString }).meta({ description: 'The native asset, for gas.' }),
    })
    .nullable()
    .meta({ description: 'Written by the owner about every third of its lease; null until it wrote once.' }),
});

export const walletListSchema = z.object({ object: z.literal('list'), data: z.array(walletSchema) });
