/**
 * One signer, and so one treasury wallet, per network, named in the networks file: `local` signs with a raw key read
 * from the variable its entry names, `local-l2` with a secp256k1 key in local-kms (the emulator the test runner
 * starts). Payouts, a mass payout, fee bumps' signer and the reconciler each use the network's own wallet, and the
 * ledger of each wallet equals its chain.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Address } from 'viem';
import { deliveriesOfFormerSigners } from '../activities/delivery/former-signers';
import { kmsSigner } from '../lib/kms-signer';
import { localKeySigner, type TreasurySigners } from '../lib/signer';
import { checkLedger } from '../lib/ledger/invariants';
import {
  api,
  balances,
  mintUsdc,
  newTreasury,
  randomAddress,
  setEthBalance,
  startEngine,
  waitForMassPayout,
  waitForStatus,
  type Engine,
} from './support/harness';

const endpoint = process.env.LOCAL_KMS_ENDPOINT!;
const region = process.env.LOCAL_KMS_REGION!;
const kms = new KMSClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const local = newTreasury();
let l2Treasury: Address;
let keyId: string;
let l2PayoutWorkflowId: string;
let engine: Engine;
// Any credentials do for local-kms; these are long enough to be found if they leaked anywhere.
const AWS_ACCESS_KEY_ID = 'AKIASPNTESTACCESSKEY01';
const AWS_SECRET_ACCESS_KEY = 'spn-secret-access-key-9f3c2a7d1e5b4c8a';

const pay = (network: string, body: Record<string, string>) =>
  api(engine, 'POST', '/v1/payouts', {
    body: { network, purpose: 'signer per network', ...body },
    headers: { 'Idempotency-Key': `spn-${Math.random()}` },
  });

beforeAll(async () => {
  const created = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Description: 'l2' }));
  keyId = created.KeyMetadata!.KeyId!;
  l2Treasury = (await kmsSigner({ keyId, client: kms })).address;
  const file = join(mkdtempSync(join(tmpdir(), 'signer-per-network-')), 'networks.yaml');
  writeFileSync(
    file,
    [
      'networks:',
      '  - preset: local',
      '    signer: { private_key_variable: SPN_LOCAL_TREASURY_KEY }',
      '  - preset: local-l2',
      "    signer: { kms_key_id: '${SPN_L2_KMS_KEY}', kms_region: '${LOCAL_KMS_REGION}' }",
      '',
    ].join('\n'),
  );
  engine = await startEngine({
    NETWORKS_FILE: file,
    SPN_LOCAL_TREASURY_KEY: local.key,
    SPN_L2_KMS_KEY: keyId,
    TREASURY_KMS_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    // The default signer must not be what pays: a key of its own that holds nothing.
    TREASURY_PRIVATE_KEY: newTreasury().key,
    RECONCILE_SETTLE_MS: '200',
  });
  await setEthBalance(engine, 'local', local.address, '10');
  await mintUsdc(engine, local.address, 1_000n * 10n ** 6n);
  await setEthBalance(engine, 'local-l2', l2Treasury, '10');
}, 120_000);
afterAll(async () => {
  await engine?.stop();
});

it('pays each network from its own treasury: the raw key on local, the KMS key on local-l2', async () => {
  const recipient = randomAddress();
  const created = await Promise.all([
    pay('local', { amount: '12.5', asset: 'USDC', destination: recipient }),
    pay('local', { amount: '0.1', asset: 'ETH', destination: recipient }),
    pay('local-l2', { amount: '0.2', asset: 'ETH', destination: recipient }),
  ]);
  expect(created.map((response) => response.status)).toEqual([201, 201, 201]);
  l2PayoutWorkflowId = created[2]!.body.workflow_id;
  const senders: string[] = [];
  for (const [index, response] of created.entries()) {
    const done = await waitForStatus(engine, response.body.id, ['completed', 'failed', 'canceled']);
    expect(done.status).toBe('completed');
    const network = index < 2 ? 'local' : 'local-l2';
    senders.push((await engine.chains.client(network).getTransaction({ hash: done.transaction.hash })).from);
  }
  expect(senders).toEqual([local.address, local.address, l2Treasury].map((address) => address.toLowerCase()));
  expect(await balances(engine, 'local', recipient)).toEqual({ eth: 100_000_000_000_000_000n, usdc: 12_500_000n });
  expect((await balances(engine, 'local-l2', recipient)).eth).toBe(200_000_000_000_000_000n);
});

it('runs a mass payout on local-l2 from the KMS wallet, and never touches the default signer', async () => {
  const recipients = [randomAddress(), randomAddress(), randomAddress()];
  const created = await api(engine, 'POST', '/v1/mass-payouts', {
    body: {
      network: 'local-l2',
      asset: 'ETH',
      purpose: 'signer per network',
      items: recipients.map((address, index) => ({ address, amount: `0.0${index + 1}` })),
    },
    headers: { 'Idempotency-Key': `spn-mass-${Math.random()}` },
  });
  expect(created.status).toBe(201);
  if (created.body.status === 'pending_approval') {
    const approved = await api(engine, 'POST', `/v1/mass-payouts/${created.body.id}/approve`, { headers: { 'X-Actor-Id': 'approver-1' } });
    expect(approved.status).toBe(200);
  }
  const mass = await waitForMassPayout(engine, created.body.id);
  expect(mass.status).toBe('completed');
  const deliveries = await engine.db.chainTransaction.findMany({
    where: {
      payoutId: { in: (await engine.db.massPayoutDelivery.findMany({ where: { massPayoutId: created.body.id } })).map((d) => d.id) },
    },
  });
  expect(deliveries.length).toBeGreaterThan(0);
  expect(new Set(deliveries.map((delivery) => delivery.fromAddress.toLowerCase()))).toEqual(new Set([l2Treasury.toLowerCase()]));
  for (const [index, recipient] of recipients.entries()) {
    expect((await balances(engine, 'local-l2', recipient)).eth).toBe(BigInt(index + 1) * 10_000_000_000_000_000n);
  }
});

it('reconciles each network against its own wallet, and each ledger equals its chain', async () => {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = await api(engine, 'POST', '/v1/reconciliation/runs', {
    body: {},
    headers: { 'Idempotency-Key': `spn-recon-${Math.random()}` },
  });
  expect(started.status).toBe(202);
  const result = await engine.temporal.workflow.getHandle(started.body.id).result();
  const targets = result.wallets.map((wallet: { network: string; wallet: string }) => [wallet.network, wallet.wallet]);
  expect(targets).toEqual(
    expect.arrayContaining([
      ['local', local.address.toLowerCase()],
      ['local-l2', l2Treasury.toLowerCase()],
    ]),
  );
  expect(targets).toHaveLength(2);
  const check = await checkLedger(engine.db, engine.chains, engine.config.registry);
  const mine = check.wallets
    .filter(
      (wallet) =>
        (wallet.network === 'local' && wallet.wallet === local.address.toLowerCase()) ||
        (wallet.network === 'local-l2' && wallet.wallet === l2Treasury.toLowerCase()),
    )
    .map((wallet) => [wallet.network, wallet.asset, wallet.difference]);
  expect(mine).toEqual(
    expect.arrayContaining([
      ['local', 'ETH', 0n],
      ['local', 'USDC', 0n],
      ['local-l2', 'ETH', 0n],
    ]),
  );
  expect(mine).toHaveLength(3);
});

it('finds deliveries in flight from a network’s former signer, which a production worker refuses to start on', async () => {
  const anvil = (method: string, params: unknown[]) =>
    engine.chains.client('local-l2').request({ method: method as never, params: params as never });
  await anvil('evm_setIntervalMining', [0]);
  try {
    const created = await pay('local-l2', { amount: '0.01', asset: 'ETH', destination: randomAddress() });
    expect(created.status).toBe(201);
    await waitForStatus(engine, created.body.id, ['processing'], 30_000);
    const ofL2 = (lines: string[]) => lines.filter((line) => line.includes(l2Treasury));
    expect(ofL2(await deliveriesOfFormerSigners(engine.db, engine.config.registry, engine.signers))).toEqual([]);
    // The operator points local-l2 at another key while this transfer waits to be mined.
    const next = localKeySigner(newTreasury().key);
    const changed: TreasurySigners = { forNetwork: (id) => (id === 'local-l2' ? next : engine.signers.forNetwork(id)) };
    expect(ofL2(await deliveriesOfFormerSigners(engine.db, engine.config.registry, changed))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^network local-l2 has 1 deliveries in flight signed by ${l2Treasury}, but its signer is now ${next.address}: configure the old signer`,
        ),
      ),
    ]);
    await anvil('evm_setIntervalMining', [1]);
    expect((await waitForStatus(engine, created.body.id, ['completed', 'failed', 'canceled'])).status).toBe('completed');
  } finally {
    await anvil('evm_setIntervalMining', [1]);
  }
});

it('never shows a key, the KMS key id or the AWS credentials in responses, histories or stored transactions', async () => {
  const created = await pay('local', { amount: '1', asset: 'USDC', destination: randomAddress() });
  const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
  expect(done.status).toBe('completed');
  const texts = [
    JSON.stringify(created.body),
    JSON.stringify((await api(engine, 'GET', `/v1/payouts/${created.body.id}`)).body),
    JSON.stringify((await api(engine, 'GET', '/v1/payouts?limit=100')).body),
    JSON.stringify((await api(engine, 'GET', '/v1/currencies')).body),
    JSON.stringify((await api(engine, 'GET', '/v1/balances')).body),
    JSON.stringify((await api(engine, 'GET', '/v1/reconciliation')).body),
    historyToJSON(await engine.temporal.workflow.getHandle(created.body.workflow_id).fetchHistory()),
    historyToJSON(await engine.temporal.workflow.getHandle(l2PayoutWorkflowId).fetchHistory()),
    JSON.stringify(
      await engine.db.chainTransaction.findMany({
        where: { fromAddress: { in: [local.address, l2Treasury] } },
        include: { attempts: true },
      }),
      (_, value) => (typeof value === 'bigint' ? value.toString() : value),
    ),
  ];
  const secrets = [local.key.slice(2), keyId, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY].map((secret) => secret.toLowerCase());
  for (const text of texts) for (const secret of secrets) expect(text.toLowerCase()).not.toContain(secret);
});
