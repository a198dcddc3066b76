/** /v1/balances as documented: one declaration per route in api/balances/routes.ts. */
import { balanceListSchema } from './schemas';
import { named, type Operation } from '../openapi/operation';

export const balanceOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/balances',
    operationId: 'listBalances',
    summary: 'Treasury balances: available, reserved and on chain',
    description:
      'Per treasury wallet and asset, from the double-entry ledger (available = free to reserve, reserved = committed to ' +
      "payouts not yet ended, fees, conversion) and the chain now. The treasury is the deployment's: every account sees it.",
    tag: 'Balances',
    scope: 'payouts:read',
    responses: { 200: { description: 'One row per wallet and asset.', body: named('BalanceList', balanceListSchema) } },
  },
];
