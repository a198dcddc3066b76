/**
 * Deposits into an idle treasury reach the ledger without waiting for a payout: the reconciler posts each one at
 * final depth, named by its transaction, once. Real chain, PostgreSQL and Temporal; the reconciliation run is
 * started through the API as an operator would, and read back through GET /v1/balances.
 */
import { erc20Abi, parseEther, type Address, type Hex } from 'viem';
import { syncArrivedFunds } from '../activities/funds';
import { api, mintUsdc, newTreasury, setEthBalance, startEngine, usdcAddress, walletFor, type Engine } from './support/harness';

let engine: Engine;
const treasury = newTreasury();
const owner = treasury.address.toLowerCase();
const sender = newTreasury();
const headers = { 'X-Account-Id': `acct_dep_${Date.now().toString(36)}`, 'X-Actor-Id': 'finance' };
const SETTLE_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  engine = await startEngine({
    TREASURY_PRIVATE_KEY: treasury.key,
    RECONCILE_SETTLE_MS: String(SETTLE_MS),
    LOW_BALANCE_THRESHOLDS: 'local:USDC=510',
  });
  await setEthBalance(engine, 'local', sender.address, '10');
});
afterAll(async () => {
  await engine?.stop();
});

/** Waits until the chain's head has the network's confirmations on top of what was mined so far. */
async function allFinal(): Promise<void> {
  const client = engine.chains.client('local');
  const target = (await client.getBlockNumber()) + BigInt(engine.config.registry.network('local').confirmations);
  while ((await client.getBlockNumber()) < target) await sleep(200);
}

/** One reconciliation run through the API; this wallet's summary on `local`. */
async function reconcile() {
  await sleep(SETTLE_MS * 2);
  const started = await api(engine, 'POST', '/v1/reconciliation/runs', { body: {}, headers });
  expect(started.status).toBe(202);
  const result = await engine.temporal.workflow.getHandle(started.body.id).result();
  return result.wallets.find((w: { network: string; wallet: string }) => w.network === 'local' && w.wallet === owner);
}

async function balanceOf(asset: string) {
  const response = await api(engine, 'GET', '/v1/balances', { headers });
  expect(response.status).toBe(200);
  return response.body.data.find(
    (row: { network: string; wallet: string; asset: string }) => row.network === 'local' && row.wallet === owner && row.asset === asset,
  );
}

async function depositEntries(txHash: string) {
  const entries = await engine.db.journalEntry.findMany({ where: { txHash }, include: { postings: { include: { account: true } } } });
  return entries.map((entry) => ({
    id: entry.id,
    kind: entry.kind,
    asset: entry.asset,
    postings: Object.fromEntries(entry.postings.map((p) => [p.account.kind, p.amount.toFixed()])),
  }));
}

async function sendEth(ether: string): Promise<Hex> {
  const { wallet, client } = walletFor(engine, 'local', sender.key);
  const hash = await wallet.sendTransaction({ to: treasury.address, value: parseEther(ether) });
  expect((await client.waitForTransactionReceipt({ hash })).status).toBe('success');
  return hash.toLowerCase() as Hex;
}

async function sendUsdc(units: bigint): Promise<Hex> {
  const { wallet, client } = walletFor(engine, 'local', sender.key);
  const hash = await wallet.writeContract({
    address: usdcAddress(engine),
    abi: erc20Abi,
    functionName: 'transfer',
    args: [treasury.address as Address, units],
  });
  expect((await client.waitForTransactionReceipt({ hash })).status).toBe('success');
  return hash.toLowerCase() as Hex;
}

describe('deposits into an idle treasury', () => {
  it('shows what the treasury holds after one run, with no payout ever made', async () => {
    expect(await balanceOf('ETH')).toBeUndefined();
    await setEthBalance(engine, 'local', treasury.address, '3'); // no transaction: named by its block
    await mintUsdc(engine, treasury.address, 500_000_000n); // a Transfer from 0x0: named by its transaction
    await allFinal();

    const summary = await reconcile();
    expect(summary.depositsPosted).toBe(2);
    expect(await balanceOf('ETH')).toMatchObject({ available: '3', reserved: '0', on_chain: '3', difference: '0' });
    expect(await balanceOf('USDC')).toMatchObject({ available: '500', on_chain: '500', difference: '0' });
    // 500 is below LOW_BALANCE_THRESHOLDS=local:USDC=510: the alert fired once.
    expect(
      await engine.db.balanceAlert.findUnique({ where: { network_wallet_asset: { network: 'local', wallet: owner, asset: 'USDC' } } }),
    ).toMatchObject({
      state: 'low',
    });
  });

  it('posts an ETH and a USDC deposit within one run, each once and named by its transaction; the alert re-arms', async () => {
    await mintUsdc(engine, sender.address, 100_000_000n);
    const ethTx = await sendEth('1.25');
    const usdcTx = await sendUsdc(25_000_000n);
    // Not final yet: nothing is credited before its depth.
    expect(await balanceOf('ETH')).toMatchObject({ available: '3' });
    await allFinal();

    const summary = await reconcile();
    expect(summary.depositsPosted).toBe(2);
    expect(await balanceOf('ETH')).toMatchObject({ available: '4.25', on_chain: '4.25', difference: '0' });
    expect(await balanceOf('USDC')).toMatchObject({ available: '525', on_chain: '525', difference: '0' });
    expect(await depositEntries(ethTx)).toEqual([
      {
        id: `deposit:local:${owner}:ETH:${ethTx}`,
        kind: 'deposit',
        asset: 'ETH',
        postings: { external: '-1250000000000000000', treasury: '1250000000000000000' },
      },
    ]);
    expect(await depositEntries(usdcTx)).toEqual([
      {
        id: expect.stringMatching(new RegExp(`^deposit:local:${owner}:USDC:${usdcTx}:\\d+$`)),
        kind: 'deposit',
        asset: 'USDC',
        postings: { external: '-25000000', treasury: '25000000' },
      },
    ]);
    // 525 is back above 510: re-armed, so the next fall fires again.
    expect(
      await engine.db.balanceAlert.findUnique({ where: { network_wallet_asset: { network: 'local', wallet: owner, asset: 'USDC' } } }),
    ).toMatchObject({
      state: 'ok',
    });

    // The same blocks read again (a new run over a reset cursor) post nothing twice.
    await engine.db.reconciliationCursor.update({
      where: { network_wallet: { network: 'local', wallet: owner } },
      data: { lastScannedBlock: -1n },
    });
    expect((await reconcile()).depositsPosted).toBe(0);
    expect(await balanceOf('ETH')).toMatchObject({ available: '4.25', difference: '0' });
    expect(await balanceOf('USDC')).toMatchObject({ available: '525', difference: '0' });
  });

  it('credits a deposit a payout already saw in the balance once: identifying it only names it', async () => {
    const ethTx = await sendEth('2');
    // What a payout's reservation does first: funds above the ledger's view are credited at once, as unidentified.
    const native = engine.config.registry.network('local').assets.find((asset) => asset.kind === 'native')!;
    await syncArrivedFunds({ db: engine.db, chains: engine.chains, treasury: treasury.address, thresholds: [] }, 'local', native);
    expect(await balanceOf('ETH')).toMatchObject({ available: '6.25', difference: '0' });
    await allFinal();

    expect((await reconcile()).depositsPosted).toBe(1);
    expect(await balanceOf('ETH')).toMatchObject({ available: '6.25', on_chain: '6.25', difference: '0' });
    expect(await depositEntries(ethTx)).toEqual([
      {
        id: `deposit:local:${owner}:ETH:${ethTx}`,
        kind: 'deposit',
        asset: 'ETH',
        postings: { external: '-2000000000000000000', unidentified: '2000000000000000000' },
      },
    ]);
    const unidentified = await engine.db.ledgerAccount.findUnique({ where: { id: `unidentified:${owner}:local:ETH` } });
    expect(unidentified?.balance.toFixed()).toBe('0');
  });
});
