/** The payout lifecycle through the HTTP API: conversion, approval policies, reject, cancel. */
import { api, balances, randomAddress, startEngine, waitForStatus, type Engine } from './support/harness';

let engine: Engine;
const unique = () => `${Date.now()}-${Math.random().toString(36).slice(2)}`;
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api(engine, 'POST', path, { body, headers: { 'Idempotency-Key': `lc-${unique()}`, ...headers } });

beforeAll(async () => {
  engine = await startEngine();
});
afterAll(async () => {
  await engine?.stop();
});

describe('currency conversion', () => {
  it('quotes 100 EUR sent as ETH and debited in USDC, waits for confirm, then pays the quoted amount', async () => {
    const recipient = randomAddress();
    const created = await post('/v1/payouts', {
      amount: '100',
      currency: 'EUR',
      asset: 'ETH',
      debit_asset: 'USDC',
      network: 'local',
      destination: recipient,
      purpose: 'EUR invoice paid in ETH',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'awaiting_conversion',
      available_actions: ['confirm_conversion', 'cancel'],
      amount: '0.036',
      asset: 'ETH',
      input: { amount: '100', currency: 'EUR' },
      // 0.036 ETH at 3000 USDC = 108 USDC, plus the 0.5% conversion fee (0.54), rounded up
      debit: { amount: '108.54', asset: 'USDC' },
      conversion: { rate: '0.00036', debit_rate: '3000', rounding: { amount: 'down', debit: 'up', fees: 'up' } },
      fees: { service: '0', conversion: '0.54', asset: 'USDC' },
    });
    const expiresIn = Date.parse(created.body.conversion.quote_expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(30_000);
    expect(expiresIn).toBeLessThanOrEqual(60_000);

    const approve = await post(`/v1/payouts/${created.body.id}/approve`, {}, { 'X-Actor-Id': 'bob' });
    expect(approve.status).toBe(409);
    expect(approve.body.error.code).toBe('not_awaiting_approval');

    const confirmed = await post(`/v1/payouts/${created.body.id}/confirm-conversion`, {});
    expect(confirmed.body).toEqual({ payout_id: created.body.id, result: 'confirmed' });
    const done = await waitForStatus(engine, created.body.id, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect((await balances(engine, 'local', recipient)).eth).toBe(36_000_000_000_000_000n);
    const reservation = await engine.db.fundReservation.findUniqueOrThrow({ where: { payoutId: created.body.id } });
    expect(reservation).toMatchObject({ asset: 'USDC', state: 'consumed' });
    expect(reservation.amount.toFixed()).toBe('108540000');
  });

  it('cancels a quote; a confirm afterwards is refused', async () => {
    const created = await post('/v1/payouts', {
      amount: '10',
      currency: 'USD',
      asset: 'ETH',
      network: 'local',
      destination: randomAddress(),
      purpose: 'x',
    });
    expect(created.body.status).toBe('awaiting_conversion');
    const canceled = await post(`/v1/payouts/${created.body.id}/cancel`, { reason: 'rate moved' });
    expect(canceled.status).toBe(200);
    const done = await waitForStatus(engine, created.body.id, ['canceled']);
    expect(done.failure).toEqual({ code: 'canceled', type: 'terminal', reason: 'canceled by api: rate moved' });
    const late = await post(`/v1/payouts/${created.body.id}/confirm-conversion`, {});
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('payout_terminal');
  });

  it('expires a quote nobody confirmed (quote lifetime from configuration)', async () => {
    const shortQuotes = await startEngine({ QUOTE_TTL_MS: '1500' });
    try {
      const created = await api(shortQuotes, 'POST', '/v1/payouts', {
        headers: { 'Idempotency-Key': `exp-${unique()}` },
        body: { amount: '10', currency: 'EUR', asset: 'USDC', network: 'local', destination: randomAddress(), purpose: 'x' },
      });
      expect(created.body.status).toBe('awaiting_conversion');
      const done = await waitForStatus(shortQuotes, created.body.id, ['expired'], 30_000);
      expect(done.failure.code).toBe('quote_expired');
    } finally {
      await shortQuotes.stop();
    }
  });

  it('refuses, creating nothing, an amount that converts to less than one base unit', async () => {
    const before = await engine.db.payout.count();
    // 10^-12 ETH is 3 * 10^-9 USDC: below USDC's smallest unit (10^-6).
    const response = await post('/v1/payouts', {
      amount: '0.000000000001',
      currency: 'ETH',
      asset: 'USDC',
      network: 'local',
      destination: randomAddress(),
      purpose: 'x',
    });
    expect(response.status).toBe(400);
    expect(response.body.error.fields).toEqual([{ field: 'amount', message: '0.000000000001 ETH is less than the smallest unit of USDC' }]);
    expect(await engine.db.payout.count()).toBe(before);
  });
});

describe('approval policies', () => {
  it('judges payouts under the current version and keeps the version each was judged under', async () => {
    const account = `acct_pol_${unique()}`.slice(0, 60);
    const headers = { 'X-Account-Id': account, 'X-Actor-Id': 'finance-lead' };
    const bad = await post(
      '/v1/approval-policies',
      {
        rules: {
          USDC: [
            { below: '100', approvals: 9 },
            { below: '50', approvals: 1 },
          ],
        },
      },
      headers,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(expect.arrayContaining(['rules.USDC.0.approvals']));

    const v1 = await post(
      '/v1/approval-policies',
      { rules: { USDC: [{ below: '1', approvals: 0 }, { below: '100', approvals: 1 }, { approvals: 2 }] } },
      headers,
    );
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ version: 1, program: null });

    const payout = (amount: string, extra: Record<string, string> = {}) =>
      post(
        '/v1/payouts',
        { amount, asset: 'USDC', network: 'local', destination: randomAddress(), purpose: 'policy test', ...extra },
        { ...headers, 'X-Actor-Id': 'clerk' },
      );
    const small = await payout('0.5');
    const medium = await payout('50');
    const large = await payout('500');
    expect([small.body.approvals_required, medium.body.approvals_required, large.body.approvals_required]).toEqual([0, 1, 2]);
    expect(medium.body.approval_policy).toEqual({ id: v1.body.id, version: 1 });

    const v2 = await post('/v1/approval-policies', { rules: { USDC: [{ approvals: 0 }] } }, headers);
    expect(v2.body.version).toBe(2);
    const later = await payout('50');
    expect(later.body).toMatchObject({ approvals_required: 0, approval_policy: { id: v2.body.id, version: 2 } });
    const stillV1 = await api(engine, 'GET', `/v1/payouts/${medium.body.id}`, { headers });
    expect(stillV1.body).toMatchObject({ approval_policy: { version: 1 }, status: 'pending_approval' });

    const program = await post('/v1/approval-policies', { program: 'creators', rules: { USDC: [{ approvals: 1 }] } }, headers);
    expect(program.body).toMatchObject({ version: 1, program: 'creators' });
    const creators = await payout('0.5', { program: 'creators' });
    expect(creators.body).toMatchObject({
      program: 'creators',
      approvals_required: 1,
      approval_policy: { id: program.body.id, version: 1 },
    });

    // Two distinct approvers for the large one.
    const first = await post(`/v1/payouts/${large.body.id}/approve`, {}, { ...headers, 'X-Actor-Id': 'ann' });
    expect(first.body).toMatchObject({ result: 'needs_more_approvals', remaining: 1, approved_by: ['ann'] });
    const repeat = await post(`/v1/payouts/${large.body.id}/approve`, {}, { ...headers, 'X-Actor-Id': 'ann' });
    expect(repeat.status).toBe(409);
    expect(repeat.body.error.code).toBe('already_approved');
    const second = await post(`/v1/payouts/${large.body.id}/approve`, {}, { ...headers, 'X-Actor-Id': 'ben' });
    expect(second.body).toMatchObject({ result: 'approved', remaining: 0, approved_by: ['ann', 'ben'] });
    expect((await waitForStatus(engine, large.body.id, ['completed', 'failed'], 90_000, headers)).status).toBe('completed');

    const listed = await api(engine, 'GET', '/v1/approval-policies', { headers });
    expect(listed.body.data.map((p: { program: string | null; version: number }) => `${p.program ?? ''}:${p.version}`)).toEqual([
      ':2',
      ':1',
      'creators:1',
    ]);
    for (const id of [medium.body.id, creators.body.id]) await post(`/v1/payouts/${id}/cancel`, {}, headers);
  });
});

describe('reject and cancel', () => {
  it('an approver rejects with a reason; the creator cannot reject their own payout', async () => {
    const created = await post(
      '/v1/payouts',
      { amount: '20000', asset: 'USDC', network: 'local', destination: randomAddress(), purpose: 'x' },
      { 'X-Actor-Id': 'carol' },
    );
    const own = await post(`/v1/payouts/${created.body.id}/reject`, {}, { 'X-Actor-Id': 'carol' });
    expect(own.status).toBe(403);
    const rejected = await post(`/v1/payouts/${created.body.id}/reject`, { reason: 'duplicate' }, { 'X-Actor-Id': 'dave' });
    expect(rejected.body).toEqual({ payout_id: created.body.id, result: 'rejected' });
    const done = await waitForStatus(engine, created.body.id, ['canceled']);
    expect(done.failure).toEqual({ code: 'rejected', type: 'terminal', reason: 'rejected by dave: duplicate' });
    const bad = await post(`/v1/payouts/${created.body.id}/reject`, { reason: 'x'.repeat(201) }, { 'X-Actor-Id': 'dave' });
    expect(bad.status).toBe(400);
  });

  it('once broadcast, cancel is a replacement that wins only if the chain keeps it; the payout ends consistent with the chain', async () => {
    const recipient = randomAddress();
    const created = await post('/v1/payouts', { amount: '1', asset: 'USDC', network: 'local', destination: recipient, purpose: 'x' });
    await waitForStatus(engine, created.body.id, ['processing', 'completed'], 30_000);
    const cancel = await post(`/v1/payouts/${created.body.id}/cancel`, {});
    // With 1 s blocks the transfer is usually mined already (409); the paused-mining tests in
    // test/delivery.it.test.ts prove the replacement path deterministically.
    expect([200, 409]).toContain(cancel.status);
    if (cancel.status === 409) expect(['cancel_refused', 'payout_terminal']).toContain(cancel.body.error.code);
    const done = await waitForStatus(engine, created.body.id, ['completed', 'canceled', 'failed']);
    const paid = (await balances(engine, 'local', recipient)).usdc;
    expect(paid).toBe(done.status === 'completed' ? 1_000_000n : 0n);
  });
});
