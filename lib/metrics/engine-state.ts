/**
 * Gauges read from the database at scrape time: what is true now, whichever process did it. Each is one grouped query
 * on an indexed column or a small table; the labels are statuses, codes, networks, assets and treasury wallets (a
 * handful), never ids.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { formatAmount } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';
import { TERMINAL_STATUSES } from '../../domain/statuses';
import type { Db } from '../db';

type Row = Record<string, string | bigint | number | Date | null>;

/** Where the decimals of a ledger asset come from: the networks file. */
export type AssetDecimals = Pick<NetworkRegistry, 'findAsset'>;

/**
 * The one place a ledger amount becomes a float: a Prometheus sample is a float64, so the exact decimal string is
 * rounded to the nearest double here, at the very end. A metric is a measurement; the engine never moves money from it.
 */
const nearestFloat = (exactDecimal: string): number => Number(exactDecimal);

/** Signed integer base units (NUMERIC read as text, exact) in whole asset units: 12500000 with 6 decimals is 12.5. */
const wholeUnits = (baseUnits: string, decimals: number): number => nearestFloat(formatAmount(BigInt(baseUnits), decimals));

export function engineStateMetrics(
  registry: Registry,
  db: Db,
  log: (message: string, error?: unknown) => void = () => undefined,
  networks?: AssetDecimals,
) {
  const failures = new Counter({
    name: 'payout_metrics_collect_errors_total',
    help: 'Scrapes in which a database gauge could not be read (its series are absent from that scrape)',
    labelNames: ['metric'] as const,
    registers: [registry],
  });
  /** A gauge whose series are the rows of `query`: `labels` name its columns, `value` the number (undefined: no series). */
  const fromQuery = <L extends string>(options: {
    name: string;
    help: string;
    labels: readonly L[];
    query: () => Promise<Row[]>;
    value: (row: Row) => number | undefined;
  }) =>
    new Gauge({
      name: options.name,
      help: options.help,
      labelNames: options.labels,
      registers: [registry],
      async collect() {
        this.reset();
        let rows: Row[];
        try {
          rows = await options.query();
        } catch (error) {
          // A scrape while the database is away shows the series as absent, and says why in the worker's log.
          failures.inc({ metric: options.name });
          log(`metrics: ${options.name} not collected`, error);
          return;
        }
        for (const row of rows) {
          const value = options.value(row);
          if (value === undefined) continue;
          const labels = Object.fromEntries(options.labels.map((label) => [label, String(row[label] ?? '')])) as Record<L, string>;
          this.set(labels, value);
        }
      },
    });
  const count = (row: Row) => Number(row.count);
  /**
   * One query for several gauges: a scrape collects every gauge at once, so those that read the same rows share the
   * read in flight; the next scrape reads again.
   */
  const shared = (query: () => Promise<Row[]>) => {
    let pending: Promise<Row[]> | undefined;
    return () => (pending ??= query().finally(() => (pending = undefined)));
  };

  fromQuery({
    name: 'payouts',
    help: 'Payouts by status, and failure code for the ended ones that failed or were canceled',
    labels: ['status', 'failure_code'],
    query: () => db.$queryRaw`SELECT status, failure_code, count(*) AS count FROM payouts GROUP BY 1, 2`,
    value: count,
  });
  fromQuery({
    name: 'payouts_needing_attention',
    help: 'Payouts and mass payouts waiting for a person, by reason (docs/runbook.md has a section for each)',
    labels: ['kind', 'reason'],
    query: () => db.$queryRaw`
      SELECT 'payout' AS kind, attention AS reason, count(*) AS count FROM payouts WHERE attention IS NOT NULL GROUP BY 2
      UNION ALL
      SELECT 'mass_payout', attention, count(*) FROM mass_payouts WHERE attention IS NOT NULL GROUP BY 2`,
    value: count,
  });
  fromQuery({
    name: 'payouts_oldest_in_status_seconds',
    help: 'How long the longest-waiting payout has been in each status that has not ended (stuck payouts)',
    labels: ['status'],
    query: () => db.$queryRaw`
      SELECT status, extract(epoch FROM now() - min(status_changed_at)) AS seconds
      FROM payouts WHERE status <> ALL(${[...TERMINAL_STATUSES]}::text[]) GROUP BY 1`,
    value: (row) => Number(row.seconds),
  });
  fromQuery({
    name: 'mass_payout_items',
    help: 'Mass-payout items by status',
    labels: ['status'],
    query: () => db.$queryRaw`SELECT status, count(*) AS count FROM mass_payout_items GROUP BY 1`,
    value: count,
  });
  const inFlight = shared(
    () =>
      db.$queryRaw<Row[]>`
      SELECT network, lower(from_address) AS wallet, count(*) AS count,
             extract(epoch FROM now() - min(created_at)) AS oldest_seconds
      FROM chain_transactions WHERE state IN ('signed', 'broadcast') GROUP BY 1, 2`,
  );
  fromQuery({
    name: 'wallet_in_flight_transactions',
    help: 'Signed transactions of a treasury wallet not yet final (signed or sent)',
    labels: ['network', 'wallet'],
    query: inFlight,
    value: count,
  });
  fromQuery({
    name: 'wallet_oldest_unconfirmed_seconds',
    help: 'Age of the oldest signed transaction of a treasury wallet that is not yet final',
    labels: ['network', 'wallet'],
    query: inFlight,
    value: (row) => Number(row.oldest_seconds),
  });
  // What each wallet's owner saw on its last round (activities/delivery/wallet-owner.ts writes it every few seconds).
  const ownerStatus = shared(
    () =>
      db.$queryRaw<Row[]>`
      SELECT network, lower(address) AS wallet, (status->>'nonceLag')::numeric AS nonce_lag,
             extract(epoch FROM now() - (status->>'observedAt')::timestamptz) AS age_seconds
      FROM wallet_leases WHERE status IS NOT NULL`,
  );
  fromQuery({
    name: 'wallet_nonce_lag',
    help: "Nonces a treasury wallet has signed that the chain has not mined yet (the stored next nonce minus the chain's count)",
    labels: ['network', 'wallet'],
    query: ownerStatus,
    value: (row) => Number(row.nonce_lag),
  });
  fromQuery({
    name: 'wallet_owner_status_age_seconds',
    help: "Age of the wallet owner's last look at the chain; it grows when no worker owns the wallet",
    labels: ['network', 'wallet'],
    query: ownerStatus,
    value: (row) => Number(row.age_seconds),
  });
  fromQuery({
    name: 'wallet_balance_low',
    help: 'Whether a treasury asset is below its LOW_BALANCE_THRESHOLDS entry, or short for a waiting payout (1), or not (0)',
    labels: ['network', 'wallet', 'asset'],
    query: () => db.$queryRaw`SELECT network, wallet, asset, (state = 'low')::int AS low FROM balance_alerts`,
    value: (row) => Number(row.low),
  });
  fromQuery({
    name: 'wallet_ledger_balance',
    help: "The ledger's view of a treasury wallet, in whole asset units: treasury (free) and reserved (held for payouts in flight)",
    labels: ['network', 'wallet', 'asset', 'account'],
    query: () => db.$queryRaw`
      SELECT network, owner AS wallet, asset, kind AS account, balance::text AS units
      FROM ledger_accounts WHERE kind IN ('treasury', 'reserved')`,
    // An asset the networks file no longer configures has no decimals to show it in: no series rather than a wrong one.
    value: (row) => {
      const decimals = networks?.findAsset(String(row.network), String(row.asset))?.decimals;
      return decimals === undefined ? undefined : wholeUnits(String(row.units), decimals);
    },
  });
  fromQuery({
    name: 'wallet_gas_spent_wei',
    help: "Network gas a treasury wallet has paid, in wei (the native asset's base unit): the sum of its ledger network_gas accounts",
    labels: ['network', 'wallet'],
    // network_gas only ever receives (treasury -> network_gas), so this only grows: increase() and deriv() read it.
    query: () => db.$queryRaw`
      SELECT network, owner AS wallet, sum(balance)::text AS units
      FROM ledger_accounts WHERE kind = 'network_gas' GROUP BY 1, 2`,
    value: (row) => nearestFloat(String(row.units)),
  });
  const cursors = shared(
    () =>
      db.$queryRaw<Row[]>`
      SELECT network, wallet, greatest(coalesce(head_block_at_last_run, 0) - last_scanned_block, 0) AS lag,
             extract(epoch FROM now() - updated_at) AS age_seconds
      FROM reconciliation_cursors`,
  );
  fromQuery({
    name: 'reconciliation_lag_blocks',
    help: "Blocks between the chain's head at the last reconciliation run and the last block it reconciled",
    labels: ['network', 'wallet'],
    query: cursors,
    value: (row) => Number(row.lag),
  });
  fromQuery({
    name: 'reconciliation_last_run_age_seconds',
    help: 'Time since the reconciler last advanced its cursor for a wallet',
    labels: ['network', 'wallet'],
    query: cursors,
    value: (row) => Number(row.age_seconds),
  });
  fromQuery({
    name: 'webhook_deliveries',
    help: 'Webhook deliveries by state: pending (not tried yet), retrying (tried, failed, due again), delivered, dead',
    labels: ['state'],
    query: () => db.$queryRaw`
      SELECT CASE WHEN state = 'pending' AND attempts > 0 THEN 'retrying' ELSE state END AS state, count(*) AS count
      FROM webhook_deliveries GROUP BY 1`,
    value: count,
  });
  fromQuery({
    name: 'reconciliation_open_exceptions',
    help: 'Reconciliation exceptions not yet resolved, by category and state',
    labels: ['category', 'state'],
    query: () =>
      db.$queryRaw`SELECT category, state, count(*) AS count FROM reconciliation_exceptions WHERE state <> 'resolved' GROUP BY 1, 2`,
    value: count,
  });
}
