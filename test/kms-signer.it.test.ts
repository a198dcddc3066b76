/**
 * The treasury in AWS KMS: a secp256k1 key created in local-kms (an emulator of KMS's API, started by the test runner),
 * the engine configured with TREASURY_KMS_KEY_ID only. Every transaction (transfer, fee bump, cancellation) is signed
 * by KMS; anvil accepts them, and the key material never exists in this process.
 */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createPublicClient, http, type Address } from 'viem';
import { kmsSigner } from '../lib/kms-signer';
import { checkLedger } from '../lib/ledger/invariants';
import { api, balances, mintUsdc, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

const endpoint = process.env.LOCAL_KMS_ENDPOINT!;
const region = process.env.LOCAL_KMS_REGION!;
const client = new KMSClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
let engine: Engine;
let treasury: Address;
let keyId: string;

const rpc = () => createPublicClient({ transport: http(engine.config.registry.network('local').rpcUrls[0]) });
const anvil = (method: string, params: unknown[] = []) => rpc().request({ method: method as never, params: params as never });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pay = (body: Record<string, string>) =>
  api(engine, 'POST', '/v1/payouts', {
    body: { network: 'local', purpose: 'kms', ...body },
    headers: { 'Idempotency-Key': `kms-${Math.random()}` },
  });

beforeAll(async () => {
  const created = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', Description: 'treasury' }));
  keyId = created.KeyMetadata!.KeyId!;
  engine = await startEngine({
    TREASURY_KMS_KEY_ID: keyId,
    TREASURY_KMS_REGION: region,
    TREASURY_KMS_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    STUCK_AFTER_MS: '1500',
    REBROADCAST_AFTER_MS: '1000',
    CHAIN_POLL_INTERVAL_MS: '200',
  });
  treasury = (await kmsSigner({ keyId, client })).address;
  await setEthBalance(engine, 'local', treasury, '10');
  await mintUsdc(engine, treasury, 1_000n * 10n ** 6n);
}, 120_000);
afterEach(async () => {
  await anvil('evm_setIntervalMining', [1]);
});
afterAll(async () => {
  await engine?.stop();
});

it('pays ETH and USDC from the KMS key: the chain shows the KMS address as sender, and the ledger equals the chain', async () => {
  const recipient = randomAddress();
  const eth = await pay({ amount: '0.25', asset: 'ETH', destination: recipient });
  const usdc = await pay({ amount: '42.5', asset: 'USDC', destination: recipient });
  expect([eth.status, usdc.status]).toEqual([201, 201]);
  for (const id of [eth.body.id, usdc.body.id]) {
    const done = await waitForStatus(engine, id, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    const transaction = await rpc().getTransaction({ hash: done.transaction.hash });
    expect(transaction.from.toLowerCase()).toBe(treasury.toLowerCase());
  }
  expect(await balances(engine, 'local', recipient)).toEqual({ eth: 250_000_000_000_000_000n, usdc: 42_500_000n });
  const check = await checkLedger(engine.db, engine.chains, engine.config.registry);
  const mine = check.wallets.filter((wallet) => wallet.wallet === treasury.toLowerCase() && wallet.network === 'local');
  expect(mine.map((wallet) => [wallet.asset, wallet.difference])).toEqual([
    ['ETH', 0n],
    ['USDC', 0n],
  ]);
});

it('signs a fee bump and a cancellation with KMS: the zero-value replacement is mined at the same nonce', async () => {
  const recipient = randomAddress();
  await anvil('evm_setIntervalMining', [0]);
  const created = await pay({ amount: '0.5', asset: 'ETH', destination: recipient });
  await waitForStatus(engine, created.body.id, ['processing'], 30_000);
  // STUCK_AFTER_MS is 1.5 s: while mining is paused the transfer is bumped (a second KMS signature).
  for (let i = 0; i < 100; i++) {
    if ((await engine.db.transactionAttempt.count({ where: { payoutId: created.body.id } })) >= 2) break;
    await sleep(150);
  }
  expect(await engine.db.transactionAttempt.count({ where: { payoutId: created.body.id } })).toBeGreaterThanOrEqual(2);
  const cancel = await api(engine, 'POST', `/v1/payouts/${created.body.id}/cancel`, {
    body: { reason: 'kms cancel' },
    headers: { 'Idempotency-Key': `kms-cancel-${created.body.id}` },
  });
  expect(cancel.body.result).toBe('cancel_requested');
  await anvil('evm_setIntervalMining', [1]);
  const done = await waitForStatus(engine, created.body.id, ['canceled', 'completed', 'failed']);
  expect(done.status).toBe('canceled');
  const mined = await rpc().getTransaction({ hash: done.transaction.hash });
  expect(mined).toMatchObject({ from: treasury.toLowerCase(), to: treasury.toLowerCase(), value: 0n });
  expect((await balances(engine, 'local', recipient)).eth).toBe(0n);
});

it('refuses a key that cannot sign Ethereum transactions, naming what it needs', async () => {
  const wrong = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  await expect(kmsSigner({ keyId: wrong.KeyMetadata!.KeyId!, client })).rejects.toThrow(
    /ECC_NIST_P256.*needs a key created with KeySpec ECC_SECG_P256K1/,
  );
  await expect(kmsSigner({ keyId: 'alias/no-such-key', client })).rejects.toThrow(
    /KMS GetPublicKey for key alias\/no-such-key failed: NotFoundException/,
  );
});
