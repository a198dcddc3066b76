/**
 * Sanctions screening against the real servers: a destination on the loaded list, on the network's sanctions oracle
 * (a contract with Chainalysis' interface, deployed on anvil) or listed between creation and signing is never paid.
 * The payout holds for compliance (attention `compliance_hold`) until a person with the compliance scope releases it
 * (it is paid) or refuses it (it fails, its funds released, its nonce untouched). Every screening and decision is in
 * the audit log; a Temporal Update without a recorded decision changes nothing; a mass-payout row that hits is listed
 * with the file's other bad rows.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, defineChain, http, type Address } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { testContract } from '../contracts/test/fixtures';
import { DEV_DEPLOYER_PRIVATE_KEY } from '../lib/config';
import { loadSanctionsList } from '../lib/compliance/sanctions-list';
import { payoutWorkflowId } from '../domain/payout';
import { api, newTreasury, randomAddress, setEthBalance, startEngine, waitForStatus, type Engine } from './support/harness';

jest.setTimeout(180_000);

const rpcUrl = process.env.LOCAL_RPC_URLS!.split(',')[0]!;
const chain = defineChain({
  id: 31337,
  name: 'anvil',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
});
const publicClient = createPublicClient({ chain, transport: http(rpcUrl) });
const deployer = createWalletClient({ account: privateKeyToAccount(DEV_DEPLOYER_PRIVATE_KEY), chain, transport: http(rpcUrl) });
const { key, address: treasury } = newTreasury();
const account = `acct_compliance_${Date.now().toString(36)}`;
const SOURCE = `test_list_${Date.now().toString(36)}`;
let engine: Engine;
let oracle: Address;
const listDir = mkdtempSync(join(tmpdir(), 'sanctions-'));

/** Puts `addresses` on this test's own list (a source of its own: the OFAC snapshot stays as it is). */
async function list(...addresses: Address[]) {
  const file = join(listDir, `${Date.now()}.txt`);
  writeFileSync(file, `# Snapshot date: 2026-12-04\n${addresses.join('\n')}\n`);
  return loadSanctionsList(engine.db, { file, source: SOURCE, loadedBy: 'compliance test' });
}

const clerk = { 'X-Account-Id': account, 'X-Actor-Id': 'clerk' };
const officer = { 'X-Account-Id': account, 'X-Actor-Id': 'compliance-officer' };
const treasuryNonce = () => publicClient.getTransactionCount({ address: treasury, blockTag: 'pending' });

async function pay(destination: Address, headers = clerk) {
  const created = await api(engine, 'POST', '/v1/payouts', {
    body: { amount: '0.001', asset: 'ETH', network: 'local', destination, purpose: 'compliance' },
    headers,
  });
  expect(created.status).toBe(201);
  return created.body;
}

async function waitForAttention(id: string, code: string) {
  const deadline = Date.now() + 60_000;
  let last;
  while (Date.now() < deadline) {
    last = await api(engine, 'GET', `/v1/payouts/${id}`, { headers: clerk });
    if (last.body.attention?.code === code) return last.body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`payout ${id} never needed ${code}; last ${JSON.stringify(last?.body)}`);
}

beforeAll(async () => {
  const hash = await deployer.deployContract({
    abi: testContract('SanctionsOracleStub').abi,
    bytecode: testContract('SanctionsOracleStub').bytecode,
  });
  oracle = (await publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
  const file = join(listDir, 'networks.yaml');
  writeFileSync(file, `networks:\n  - preset: local\n    sanctions_oracle: "${oracle}"\n  - preset: local-l2\n`);
  engine = await startEngine({ NETWORKS_FILE: file, TREASURY_PRIVATE_KEY: key });
  await setEthBalance(engine, 'local', treasury, '10');
  const policy = await api(engine, 'POST', '/v1/approval-policies', {
    body: { rules: { ETH: [{ approvals: 0 }], USDC: [{ approvals: 0 }] } },
    headers: { 'X-Account-Id': account, 'X-Actor-Id': 'admin' },
  });
  expect(policy.status).toBe(201);
});
afterAll(async () => {
  await engine?.stop();
});

it('holds a listed destination at creation, signs nothing, and pays it once a compliance officer releases it', async () => {
  const listed = randomAddress();
  await list(listed);
  const nonceBefore = await treasuryNonce();
  const created = await pay(listed);
  expect(created.attention).toEqual({ code: 'compliance_hold', type: 'action_required' });
  const held = await waitForAttention(created.id, 'compliance_hold');
  expect(held.available_actions).toEqual(['decide_compliance', 'cancel']);
  expect(await treasuryNonce()).toBe(nonceBefore);

  // The Temporal UI's way in (an Update without a decision recorded by the API) changes nothing.
  await expect(
    engine.temporal.workflow.getHandle(payoutWorkflowId(created.id)).executeUpdate('compliance_decision', { args: [{ decisionId: '1' }] }),
  ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/no compliance decision is recorded/) } });
  // A key without the compliance scope cannot decide.
  const noScope = await engine.keyFor(account, 'clerk', ['payouts:create', 'payouts:read', 'payouts:approve', 'payouts:cancel']);
  const refused = await api(engine, 'POST', `/v1/payouts/${created.id}/compliance/release`, {
    body: { reason: 'looks fine' },
    headers: { Authorization: `Bearer ${noScope}` },
  });
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('missing_scope');
  // A decision needs a reason.
  const bare = await api(engine, 'POST', `/v1/payouts/${created.id}/compliance/release`, { body: {}, headers: officer });
  expect(bare.status).toBe(400);
  expect(bare.body.error.fields.map((field: { field: string }) => field.field)).toEqual(['reason']);

  const released = await api(engine, 'POST', `/v1/payouts/${created.id}/compliance/release`, {
    body: { reason: 'false positive: a customer of ours, checked by phone' },
    headers: officer,
  });
  expect(released.status).toBe(200);
  expect(released.body).toMatchObject({ result: 'released', decided_by: 'compliance-officer' });
  // Released from the list it hit: the screening before signing does not hold it again for the same list.
  const done = await waitForStatus(engine, created.id, ['completed', 'failed'], 90_000, clerk);
  expect(done.status).toBe('completed');
  expect(done.attention).toBeNull();

  const audit = await api(engine, 'GET', `/v1/payouts/${created.id}/compliance`, { headers: clerk });
  expect(audit.status).toBe(200);
  expect(audit.body.data.map((entry: { stage: string; outcome: string }) => `${entry.stage}:${entry.outcome}`)).toEqual([
    'creation:hit',
    'decision:released',
    'before_signing:hit',
  ]);
  expect(audit.body.data[0].hits[0]).toMatchObject({ source: 'sanctions_list' });
  expect(audit.body.data[1]).toMatchObject({ actor: 'compliance-officer', reason: 'false positive: a customer of ours, checked by phone' });
});

it('refused: the payout fails compliance_refused, nothing is signed and nothing stays reserved', async () => {
  const listed = randomAddress();
  await list(listed);
  const nonceBefore = await treasuryNonce();
  const created = await pay(listed);
  await waitForAttention(created.id, 'compliance_hold');
  const refused = await api(engine, 'POST', `/v1/payouts/${created.id}/compliance/refuse`, {
    body: { reason: 'confirmed match on the SDN list' },
    headers: officer,
  });
  expect(refused.status).toBe(200);
  expect(refused.body).toMatchObject({ result: 'refused' });
  const done = await waitForStatus(engine, created.id, ['failed', 'completed'], 60_000, clerk);
  expect(done.status).toBe('failed');
  expect(done.failure).toMatchObject({ code: 'compliance_refused' });
  expect(done.failure.reason).toMatch(/refused by compliance-officer after compliance screening: confirmed match/);
  expect(await treasuryNonce()).toBe(nonceBefore);
  const reservation = await engine.db.fundReservation.findUnique({ where: { payoutId: created.id } });
  expect(reservation?.state ?? 'released').toBe('released');
  // Deciding twice is refused: the hold is over.
  const again = await api(engine, 'POST', `/v1/payouts/${created.id}/compliance/release`, { body: { reason: 'x' }, headers: officer });
  expect(again.status).toBe(409);
});

it('screens again right before signing: a destination listed after creation is held, then canceled', async () => {
  // Two approvals: the payout waits in pending_approval while the list changes.
  const twoAccount = `${account}_late`;
  const policy = await api(engine, 'POST', '/v1/approval-policies', {
    body: { rules: { ETH: [{ approvals: 1 }] } },
    headers: { 'X-Account-Id': twoAccount, 'X-Actor-Id': 'admin' },
  });
  expect(policy.status).toBe(201);
  const destination = randomAddress();
  const created = await pay(destination, { 'X-Account-Id': twoAccount, 'X-Actor-Id': 'clerk' });
  expect(created.status).toBe('pending_approval');
  expect(created.attention).toBeNull();
  await list(destination);
  const approved = await api(engine, 'POST', `/v1/payouts/${created.id}/approve`, {
    headers: { 'X-Account-Id': twoAccount, 'X-Actor-Id': 'approver-1' },
  });
  expect(approved.status).toBe(200);
  const deadline = Date.now() + 60_000;
  let view;
  do {
    view = (await api(engine, 'GET', `/v1/payouts/${created.id}`, { headers: { 'X-Account-Id': twoAccount } })).body;
    if (view.attention?.code === 'compliance_hold') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  } while (Date.now() < deadline);
  expect(view.attention?.code).toBe('compliance_hold');
  expect(view.status).toBe('in_progress');
  const canceled = await api(engine, 'POST', `/v1/payouts/${created.id}/cancel`, {
    body: { reason: 'compliance asked' },
    headers: { 'X-Account-Id': twoAccount, 'X-Actor-Id': 'clerk' },
  });
  expect(canceled.status).toBe(200);
  expect(canceled.body.result).toBe('canceled');
  const done = await waitForStatus(engine, created.id, ['canceled', 'completed', 'failed'], 60_000, { 'X-Account-Id': twoAccount });
  expect(done.status).toBe('canceled');
});

it("holds a destination the network's sanctions oracle lists", async () => {
  const destination = randomAddress();
  const hash = await deployer.writeContract({
    address: oracle,
    abi: testContract('SanctionsOracleStub').abi,
    functionName: 'setSanctioned',
    args: [destination, true],
  });
  await publicClient.waitForTransactionReceipt({ hash });
  const created = await pay(destination);
  const held = await waitForAttention(created.id, 'compliance_hold');
  expect(held.status).not.toBe('completed');
  const audit = await api(engine, 'GET', `/v1/payouts/${created.id}/compliance`, { headers: clerk });
  expect(audit.body.data[0].hits).toEqual([expect.objectContaining({ source: 'sanctions_oracle' })]);
  const refused = await api(engine, 'POST', `/v1/payouts/${created.id}/compliance/refuse`, {
    body: { reason: 'oracle match' },
    headers: officer,
  });
  expect(refused.status).toBe(200);
  expect((await waitForStatus(engine, created.id, ['failed'], 60_000, clerk)).failure.code).toBe('compliance_refused');
});

it('a clear destination is screened twice and paid, and the audit log says so', async () => {
  const created = await pay(randomAddress());
  expect(created.attention).toBeNull();
  expect((await waitForStatus(engine, created.id, ['completed', 'failed'], 90_000, clerk)).status).toBe('completed');
  const audit = await api(engine, 'GET', `/v1/payouts/${created.id}/compliance`, { headers: clerk });
  expect(audit.body.data.map((entry: { stage: string; outcome: string }) => `${entry.stage}:${entry.outcome}`)).toEqual([
    'creation:clear',
    'before_signing:clear',
  ]);
});

it('a mass-payout row on the list is reported with the bad rows, and nothing is created', async () => {
  const listed = randomAddress();
  await list(listed);
  const response = await api(engine, 'POST', '/v1/mass-payouts', {
    body: {
      network: 'local',
      asset: 'ETH',
      purpose: 'compliance batch',
      items: [
        { address: randomAddress(), amount: '0.001' },
        { address: listed, amount: '0.001' },
      ],
    },
    headers: clerk,
  });
  expect(response.status).toBe(400);
  expect(response.body.error.fields).toEqual([expect.objectContaining({ field: 'items[1].address', code: 'address_refused' })]);
  expect(response.body.error.fields[0].message).toMatch(/sanctions list/);
  expect(await engine.db.massPayout.count({ where: { accountId: account } })).toBe(0);
});
