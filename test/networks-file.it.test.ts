/**
 * A deployment's own networks file, against the real stack: a network whose native asset is POL (as on Polygon) and
 * whose finality is the node's `safe` block. The second anvil plays the chain; anvil's `safe` block trails its head by
 * 32 blocks, so a payout stays in progress past its confirmations until the chain moves past that tag.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLedger } from '../lib/ledger/invariants';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

let engine: Engine;
const { key: treasuryKey, address: treasury } = newTreasury();
const NETWORK = 'pol-local';

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'networks-')), 'networks.yaml');
  writeFileSync(
    file,
    [
      'networks:',
      '  - preset: local',
      '  - preset: local-l2',
      `    id: ${NETWORK}`,
      '    name: Local chain paying POL',
      '    native: { symbol: POL, name: POL, decimals: 18 }',
      '    finality: { confirmations: 2, block_tag: safe }',
      '',
    ].join('\n'),
  );
  engine = await startEngine({ NETWORKS_FILE: file, TREASURY_PRIVATE_KEY: treasuryKey, CHAIN_POLL_INTERVAL_MS: '200' });
  await setEthBalance(engine, NETWORK, treasury, '10');
});
afterAll(async () => {
  await engine?.stop();
});

describe('a networks file of its own', () => {
  it('lists what it configures in GET /v1/currencies', async () => {
    const response = await api(engine, 'GET', '/v1/currencies');
    expect(response.status).toBe(200);
    expect(response.body.data).toContainEqual({
      asset: 'POL',
      network: NETWORK,
      chain_id: 31338,
      decimals: 18,
      kind: 'native',
      contract_address: null,
      confirmations: 2,
      finality_tag: 'safe',
      testnet: true,
    });
    expect(response.body.data.map((c: { network: string }) => c.network)).not.toContain('local-l2');
  });

  it('pays POL, counts its fee in POL, and completes only once the block is at or below the safe tag', async () => {
    const recipient = randomAddress();
    const created = await api(engine, 'POST', '/v1/payouts', {
      body: { amount: '0.25', asset: 'POL', network: NETWORK, destination: recipient, purpose: 'native asset from the network' },
    });
    expect(created.status).toBe(201);
    const client = engine.chains.client(NETWORK);

    // Mined and past its 2 confirmations, but still above the safe block (32 blocks behind): not final yet.
    const deadline = Date.now() + 60_000;
    let receipt: Awaited<ReturnType<typeof client.getTransactionReceipt>> | undefined;
    while (Date.now() < deadline) {
      const hash = (await api(engine, 'GET', `/v1/payouts/${created.body.id}`)).body.transaction?.hash;
      receipt = hash ? await client.getTransactionReceipt({ hash }).catch(() => undefined) : undefined;
      if (receipt && (await client.getBlockNumber()) - receipt.blockNumber + 1n >= 4n) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (!receipt) throw new Error('the payout was not mined within 60 s');
    // A person's view a moment later: still processing, since the safe block is behind the transaction's.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const seen = await api(engine, 'GET', `/v1/payouts/${created.body.id}`);
    const head = await client.getBlockNumber();
    const safe = (await client.getBlock({ blockTag: 'safe' })).number;
    expect(head - receipt.blockNumber + 1n).toBeGreaterThanOrEqual(2n);
    expect(safe).toBeLessThan(receipt.blockNumber);
    expect(seen.body.status).toBe('processing');
    expect(await client.getBalance({ address: recipient })).toBe(250_000_000_000_000_000n);

    // The chain moves on; the safe block passes the transaction's and the payout completes.
    await client.request({ method: 'anvil_mine' as never, params: ['0x28'] as never });
    const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect((await client.getBlock({ blockTag: 'safe' })).number).toBeGreaterThanOrEqual(receipt.blockNumber);
    expect(done.transaction.network_fee_asset).toBe('POL');
    expect(done.transaction.network_fee).toBe(
      // formatAmount of gasUsed × effectiveGasPrice, in POL's 18 decimals.
      formatWei(receipt.gasUsed * receipt.effectiveGasPrice),
    );

    // The treasury's ledger, in POL, equals the chain: the gas was posted in the network's own native asset.
    const check = await checkLedger(engine.db, engine.chains, engine.config.registry);
    const mine = check.wallets.filter((wallet) => wallet.wallet === treasury.toLowerCase());
    expect(mine.map((wallet) => [wallet.network, wallet.asset, wallet.difference])).toEqual([[NETWORK, 'POL', 0n]]);
  });
});

const formatWei = (wei: bigint) => {
  const whole = wei / 10n ** 18n;
  const fraction = (wei % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
};
