import { createHmac } from 'node:crypto';
import { newWebhookSecret, signatureOf, signWebhook } from './sign';
import { verifyWebhookSignature } from './verify';

const secret = 'whsec_test_3q2+7w==';
const body = JSON.stringify({
  id: 'evt_po_1_1',
  type: 'payout.completed',
  created_at: '2026-11-21T10:00:00.000Z',
  data: { payout_id: 'po_1' },
});
const now = Date.UTC(2026, 10, 21, 10, 0, 0);

describe('signWebhook', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 and puts the timestamp in the header', () => {
    const header = signWebhook(secret, body, now);
    const t = Math.floor(now / 1000);
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${expected}`);
    expect(signatureOf(secret, t, body)).toBe(expected);
  });

  it('makes 256-bit secrets with the whsec_ prefix, never the same twice', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});

describe('verifyWebhookSignature (the documented receiver code)', () => {
  const header = signWebhook(secret, body, now);

  it('accepts a genuine delivery, from a string or the raw bytes', () => {
    expect(verifyWebhookSignature({ secret, header, body, now })).toEqual({ ok: true, timestamp: Math.floor(now / 1000) });
    expect(verifyWebhookSignature({ secret, header, body: Buffer.from(body), now }).ok).toBe(true);
  });

  it('rejects a tampered body, a tampered signature, and the wrong secret', () => {
    expect(verifyWebhookSignature({ secret, header, body: body.replace('po_1', 'po_2'), now })).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    const flipped = header.replace(/v1=(.)/, (_m, c: string) => `v1=${c === '0' ? '1' : '0'}`);
    expect(verifyWebhookSignature({ secret, header: flipped, body, now })).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyWebhookSignature({ secret: `${secret}x`, header, body, now })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a changed timestamp: it is part of what is signed', () => {
    const t = Math.floor(now / 1000);
    const moved = header.replace(`t=${t}`, `t=${t + 1}`);
    expect(verifyWebhookSignature({ secret, header: moved, body, now })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a delivery older (or newer) than the tolerance: a captured request cannot be replayed later', () => {
    expect(verifyWebhookSignature({ secret, header, body, now: now + 301_000 })).toEqual({
      ok: false,
      reason: 'timestamp_outside_tolerance',
    });
    expect(verifyWebhookSignature({ secret, header, body, now: now - 301_000 })).toEqual({
      ok: false,
      reason: 'timestamp_outside_tolerance',
    });
    expect(verifyWebhookSignature({ secret, header, body, now: now + 299_000 }).ok).toBe(true);
    expect(verifyWebhookSignature({ secret, header, body, now: now + 3_600_000, toleranceSeconds: 7200 }).ok).toBe(true);
  });

  it('accepts any matching v1 among several (secret rotation) and ignores unknown schemes', () => {
    const t = Math.floor(now / 1000);
    const other = signatureOf('whsec_old', t, body);
    const good = signatureOf(secret, t, body);
    expect(verifyWebhookSignature({ secret, header: `t=${t},v0=abc,v1=${other},v1=${good}`, body, now }).ok).toBe(true);
    expect(verifyWebhookSignature({ secret, header: [`t=${t},v1=${good}`], body, now }).ok).toBe(true);
  });

  it('names what is wrong with a missing or malformed header', () => {
    expect(verifyWebhookSignature({ secret, header: undefined, body, now })).toEqual({ ok: false, reason: 'missing_header' });
    expect(verifyWebhookSignature({ secret, header: '', body, now })).toEqual({ ok: false, reason: 'missing_header' });
    expect(verifyWebhookSignature({ secret, header: 'v1=abc', body, now })).toEqual({ ok: false, reason: 'malformed_header' });
    expect(verifyWebhookSignature({ secret, header: `t=${Math.floor(now / 1000)}`, body, now })).toEqual({
      ok: false,
      reason: 'malformed_header',
    });
    expect(verifyWebhookSignature({ secret, header: `t=soon,v1=${'a'.repeat(64)}`, body, now })).toEqual({
      ok: false,
      reason: 'malformed_header',
    });
  });
});
