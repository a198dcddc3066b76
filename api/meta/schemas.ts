/** Schemas of the routes about the API itself: health, the currency registry. */
import { z } from 'zod';
import { listOf } from '../http/schemas';

export const healthSchema = z.object({ status: z.literal('ok') }).meta({ examples: [{ status: 'ok' }] });

export const currencySchema = z.object({
  asset: z.string(),
  network: z.string(),
  chain_id: z.int(),
  decimals: z.int().min(0),
  kind: z.enum(['native', 'erc20']),
  contract_address: z.string().nullable().meta({ description: 'The token contract; null for the native asset.' }),
  confirmations: z.int().min(0).meta({ description: 'Confirmations a payout on this network waits for before it is completed.' }),
  finality_tag: z.enum(['safe', 'finalized']).nullable().meta({
    description: "Where set, a payout is completed only once its block is also at or below the node's `safe` or `finalized` block.",
  }),
  testnet: z.boolean().meta({ description: 'A test network: its assets have no value.' }),
});

export const currencyListSchema = listOf(currencySchema).meta({
  examples: [
    {
      object: 'list',
      data: [
        {
          asset: 'ETH',
          network: 'local',
          chain_id: 31337,
          decimals: 18,
          kind: 'native',
          contract_address: null,
          confirmations: 2,
          finality_tag: null,
          testnet: true,
        },
        {
          asset: 'USDC',
          network: 'local',
          chain_id: 31337,
          decimals: 6,
          kind: 'erc20',
          contract_address: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
          confirmations: 2,
          finality_tag: null,
          testnet: true,
        },
      ],
    },
  ],
});
