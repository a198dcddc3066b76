/**
 * `npm run ledger:check`: proves the ledger's invariants against the database and the chain
 * (lib/ledger/invariants.ts) and prints every violation. Exit code 1 when any is found.
 * Uses DATABASE_URL and the RPC settings, or the running `npm start` stack (.data/stack.env).
 */
import { formatAmount } from '../domain/money';
import { ChainClients } from '../lib/chain';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { checkLedger } from '../lib/ledger/invariants';
import { readStackEnv } from './stack/data-dir';

async function main(): Promise<number> {
  const config = loadConfig({ ...readStackEnv(), ...process.env });
  const db = createDb(config.databaseUrl, { maxConnections: 2 });
  try {
    const check = await checkLedger(db, new ChainClients(config.registry), config.registry);
    console.log(`journal entries: ${check.entries}`);
    console.log(`unbalanced entries: ${check.unbalancedEntries.length}`);
    for (const entry of check.unbalancedEntries) console.log(`  ${entry.entryId}: postings sum to ${entry.sum}`);
    console.log(`accounts whose balance differs from their postings: ${check.accountMismatches.length}`);
    for (const account of check.accountMismatches)
      console.log(`  ${account.accountId}: balance ${account.balance}, postings ${account.sumOfPostings}`);
    console.log('treasury wallets (ledger = treasury + reserved + fees + conversion):');
    for (const wallet of check.wallets) {
      const decimals = config.registry.findAsset(wallet.network, wallet.asset)?.decimals ?? 0;
      const show = (units: bigint) => formatAmount(units, decimals);
      const verdict = wallet.difference === 0n ? 'ok' : wallet.ok ? `differs, ${wallet.payoutsInFlight} payout(s) in flight` : 'MISMATCH';
      console.log(
        `  ${wallet.network} ${wallet.wallet} ${wallet.asset}: ledger ${show(wallet.ledger)}, on chain ${show(wallet.onChain)}, difference ${show(wallet.difference)} -> ${verdict}`,
      );
    }
    console.log(check.ok ? 'ledger invariants hold' : 'ledger invariants VIOLATED: see above');
    return check.ok ? 0 : 1;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`ledger:check: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
