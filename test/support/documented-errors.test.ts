import { assertDocumentedError, operationFor } from './documented-errors';

const error = (code: string) => ({ error: { type: 'conflict', code, message: '…', fields: [], request_id: 'req_1' } });

describe('assertDocumentedError', () => {
  it('finds the operation a request reaches, by method and path (query ignored)', () => {
    expect(operationFor('POST', '/v1/payouts/po_1/approve')?.operationId).toBe('approvePayout');
    expect(operationFor('GET', '/v1/payouts?status=completed')?.operationId).toBe('listPayouts');
    expect(operationFor('DELETE', '/v1/payouts/po_1')).toBeUndefined();
  });

  it('passes the codes the document lists for the operation: its own, every route’s, every write’s', () => {
    expect(() => assertDocumentedError('POST', '/v1/payouts/po_1/approve', 403, error('own_payout'))).not.toThrow();
    expect(() => assertDocumentedError('POST', '/v1/payouts/po_1/approve', 401, error('api_key_malformed'))).not.toThrow();
    expect(() => assertDocumentedError('POST', '/v1/payouts/po_1/approve', 422, error('idempotency_key_reused'))).not.toThrow();
    expect(() => assertDocumentedError('GET', '/v1/nowhere', 404, error('route_not_found'))).not.toThrow();
    expect(() => assertDocumentedError('GET', '/v1/payouts', 200, { object: 'list' })).not.toThrow();
  });

  it('fails on a code the document does not list for that operation and status, saying where to document it', () => {
    expect(() => assertDocumentedError('POST', '/v1/payouts/po_1/approve', 409, error('no_destination'))).toThrow(
      /409 `no_destination`.*operation approvePayout/,
    );
    // Listed, but under another status.
    expect(() => assertDocumentedError('POST', '/v1/payouts/po_1/approve', 409, error('own_payout'))).toThrow(/approvePayout/);
    // A read does not answer the Idempotency-Key contract's codes.
    expect(() => assertDocumentedError('GET', '/v1/payouts/po_1', 422, error('idempotency_key_reused'))).toThrow(/getPayout/);
  });
});
