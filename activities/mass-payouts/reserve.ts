/** The batch's one funds reservation: checked against the whole total (and its gas) before anything is sent. */
import { batchGas, MEASURED_BATCH_GAS, type BatchKind } from '../../contracts/batch-size';
import { massReservationEntry, type WalletAsset } from '../../domain/ledger';
import { massReservationKey } from '../../domain/mass-payout';
import { formatAmount } from '../../domain/money';
import type { AssetDefinition } from '../../domain/networks';
import { currentFees, onChainBalance, tokenNotDeployed } from '../../lib/chain';
import { decimalToBigint } from '../../lib/db';
import { evaluateBalanceAlert } from '../../lib/ledger/balance-alerts';
import { inWalletAssetTurn, lockWalletAsset, postEntry } from '../../lib/ledger/post';
import { heldUnits as heldUnitsAt, recordArrivedFunds, syncArrivedFunds } from '../funds';
import type { ReserveResult } from '../types';
import { massL1DataFee } from './l1-fee-estimate';
import { withHeadroom, type MassShared } from './shared';

export function massFundsActivities(shared: MassShared) {
  const { db, registry, chains, treasuryOf, thresholds, context, loadMass, nativeOf, batchContract } = shared;

  return {
    /**
     * Holds the batch's total against the treasury (one reservation, one ledger entry), after
     * checking the whole batch is covered, gas for every chunk included. Short: a failure the
     * workflow waits on, visibly, until the treasury is funded.
     */
    async reserveMassFunds(massPayoutId: string): Promise<ReserveResult> {
      const mass = await loadMass(massPayoutId);
      const treasury = treasuryOf(mass.network);
      const asset = registry.asset(mass.network, mass.asset);
      const native = nativeOf(mass.network);
      const total = decimalToBigint(mass.totalAmount)!;
      const key = massReservationKey(massPayoutId);
      const show = (units: bigint, a: AssetDefinition) => `${formatAmount(units, a.decimals)} ${a.symbol}`;
      if (!(await chains.assetDeployed(mass.network, asset))) return { ok: false, failure: tokenNotDeployed(mass.network, asset) };

      // Gas for the whole batch, at today's fees: not reserved (gas is never exact), but a batch
      // that cannot pay for its own chunks should wait for ETH before it starts, not halfway.
      const client = chains.client(mass.network);
      const contract = await batchContract(mass.network);
      const kind: BatchKind = asset.kind === 'native' ? 'eth' : 'erc20';
      const gasUnits = contract
        ? batchGas(mass.itemCount, MEASURED_BATCH_GAS[kind])
        : BigInt(mass.itemCount) * (asset.kind === 'native' ? 21_000n : 65_000n);
      const network = registry.network(mass.network);
      const fees = await currentFees(client, network);
      // On OP-stack chains every delivery also pays an L1 data fee, often most of its cost.
      const l1Fee = await massL1DataFee(client, network, {
        itemCount: mass.itemCount,
        asset,
        batchContract: contract,
        amountBound: total,
        fees,
      });
      const gasCost = withHeadroom(gasUnits) * fees.maxFeePerGas + l1Fee;
      // The ledger must know the gas asset's arrivals before this batch posts gas against it.
      if (asset.kind !== 'native') await syncArrivedFunds({ db, chains, treasury, thresholds }, mass.network, native);
      // Read before the locked transaction: a chain call must not hold it open.
      const ethBalance = asset.kind === 'native' ? undefined : await client.getBalance({ address: treasury });

      const at: WalletAsset = { wallet: treasury, network: mass.network, asset: asset.symbol };
      return inWalletAssetTurn([at], () =>
        db.$transaction(
          async (tx) => {
            await lockWalletAsset(tx, at);
            const existing = await tx.fundReservation.findUnique({ where: { payoutId: key } });
            if (existing) return { ok: true, reservedUnits: total.toString() } as const;

            const balance = await recordArrivedFunds(tx, at, () => onChainBalance(chains, mass.network, asset, treasury));
            const heldUnits = await heldUnitsAt(tx, at);
            const available = balance - heldUnits;
            const needed = total + (asset.kind === 'native' ? gasCost : 0n);
            if (available < needed) {
              await evaluateBalanceAlert(tx, at, thresholds, { neededUnits: needed });
              return {
                ok: false,
                failure: {
                  code: 'insufficient_funds',
                  reason:
                    `treasury ${treasury} on ${mass.network} has ${show(available < 0n ? 0n : available, asset)} available ` +
                    `(${show(balance, asset)} on chain, ${show(heldUnits, asset)} held for other payouts) but this mass payout of ` +
                    `${mass.itemCount} items needs ${show(total, asset)}` +
                    (asset.kind === 'native' ? ` plus about ${show(gasCost, native)} of gas` : '') +
                    `; fund the treasury and it starts`,
                },
              } as const;
            }
            if (ethBalance !== undefined) {
              if (ethBalance < gasCost) {
                return {
                  ok: false,
                  failure: {
                    code: 'insufficient_gas',
                    reason:
                      `treasury ${treasury} on ${mass.network} holds ${show(ethBalance, native)} but the ${mass.itemCount} items need ` +
                      `about ${show(gasCost, native)} of gas at current fees; fund it with ${native.symbol} and the mass payout starts`,
                  },
                } as const;
              }
            }
            await tx.fundReservation.create({
              data: {
                payoutId: key,
                network: mass.network,
                asset: asset.symbol,
                wallet: treasury,
                amount: total.toString(),
                state: 'held',
              },
            });
            await postEntry(tx, massReservationEntry(massPayoutId, at, total), context());
            await evaluateBalanceAlert(tx, at, thresholds);
            return { ok: true, reservedUnits: total.toString() } as const;
          },
          { timeout: 30_000, maxWait: 30_000 },
        ),
      );
    },
  };
}
