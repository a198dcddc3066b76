/** /v1/wallets as documented: one declaration per route in api/wallets/routes.ts. */
import { walletListSchema } from './schemas';
import { named, type Operation } from '../openapi/operation';

export const walletOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/wallets',
    operationId: 'listWallets',
    summary: "Hot wallets: each one's owner and what it is doing",
    description:
      'One worker process at a time owns each hot wallet (network + address) under a fenced lease: it sends, re-sends, ' +
      'bumps and fills nonces, and decides finality. Per wallet: who holds the lease, and what the owner last saw ' +
      '(transactions in flight, nonce lag, the oldest unconfirmed transaction, the gas balance). A lease that is not ' +
      'live means no worker owns the wallet: nothing is sent or confirmed until one starts.',
    tag: 'Balances',
    scope: 'payouts:read',
    responses: { 200: { description: 'One row per wallet that has had an owner.', body: named('WalletList', walletListSchema) } },
  },
];
