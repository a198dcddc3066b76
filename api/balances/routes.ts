/** GET /v1/balances: per treasury wallet and asset, the ledger's balances and the on-chain balance. */
import { Router } from 'express';
import type { Address } from 'viem';
import { IN_WALLET_KINDS, type AccountKind } from '../../domain/ledger';
import { formatAmount } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';
import { onChainBalance, type ChainClients } from '../../lib/chain';
import type { Db } from '../../lib/db';
import { requireScope } from '../http/auth';

export function balanceRoutes(deps: { db: Db; registry: NetworkRegistry; chains: ChainClients }): Router {
  const router = Router();

  router.get('/v1/balances', requireScope('payouts:read'), async (_req, res) => {
    const accounts = await deps.db.ledgerAccount.findMany({ orderBy: [{ network: 'asc' }, { owner: 'asc' }, { asset: 'asc' }] });
    const wallets = new Map<string, { network: string; wallet: string; asset: string; balances: Partial<Record<AccountKind, bigint>> }>();
    for (const account of accounts) {
      const key = `${account.network}:${account.owner}:${account.asset}`;
      const entry = wallets.get(key) ?? { network: account.network, wallet: account.owner, asset: account.asset, balances: {} };
      entry.balances[account.kind as AccountKind] = BigInt(account.balance.toFixed());
      wallets.set(key, entry);
    }
    const data = await Promise.all(
      [...wallets.values()].map(async ({ network, wallet, asset, balances }) => {
        const definition = deps.registry.findAsset(network, asset);
        const decimals = definition?.decimals ?? 0;
        const show = (units: bigint) => formatAmount(units, decimals);
        const of = (kind: AccountKind) => balances[kind] ?? 0n;
        const total = IN_WALLET_KINDS.reduce((sum, kind) => sum + of(kind), 0n);
        const onChain = definition ? await onChainBalance(deps.chains, network, definition, wallet as Address).catch(() => null) : null;
        return {
          network,
          wallet,
          asset,
          available: show(of('treasury')),
          reserved: show(of('reserved')),
          fees: show(of('fees')),
          conversion: show(of('conversion')),
          ledger_total: show(total),
          on_chain: onChain === null ? null : show(onChain),
          difference: onChain === null ? null : show(total - onChain),
          payouts_sent: show(of('payouts_sent')),
          network_gas: show(of('network_gas')),
        };
      }),
    );
    res.json({ object: 'list', data });
  });

  return router;
}
