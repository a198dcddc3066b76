import { ApiFailure, ApiUnreachable } from './client';
import { explainFailure, type ExplainContext } from './explain';

const submit: ExplainContext = { action: 'submit', apiUrl: 'http://127.0.0.1:3000', keySource: '.data/dev-api-key' };

describe('failure messages say what to do next', () => {
  it('a stack that is not running: npm start', () => {
    const message = explainFailure(
      new ApiUnreachable('http://127.0.0.1:3000', 'ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:3000)'),
      submit,
    );
    expect(message).toMatch(/cannot reach the API at http:\/\/127\.0\.0\.1:3000/);
    expect(message).toMatch(/Next step: start the engine with `npm start`/);
  });

  it('a submission without an answer may have been accepted', () => {
    expect(explainFailure(new ApiUnreachable('http://x', 'no answer in time (timeout)'), submit)).toMatch(/may still have been accepted/);
  });

  it('a bad key: where to get one', () => {
    const failure = new ApiFailure(401, { code: 'api_key_invalid', message: 'the API key is not valid' }, '/v1/mass-payouts');
    expect(explainFailure(failure, submit)).toMatch(/restart `npm start`.*\n.*npm run keys -- create/s);
    expect(explainFailure(failure, { ...submit, keySource: '--key' })).toMatch(/check the key you passed with --key/);
  });

  it('a missing scope names it and how to get it', () => {
    const failure = new ApiFailure(
      403,
      { code: 'missing_scope', message: 'this API key lacks the mass_payouts:create scope' },
      '/v1/mass-payouts',
    );
    expect(explainFailure(failure, submit)).toMatch(/lacks the mass_payouts:create scope\nNext step: use a key with that scope/);
  });

  it('an approval by the creator: four eyes', () => {
    const failure = new ApiFailure(403, { code: 'own_payout', message: 'you created it' }, '/approve');
    expect(explainFailure(failure, { ...submit, action: 'approve', keySource: '--approve-with' })).toMatch(/another actor/);
  });

  it('a taken external id, a file too large, rate limiting, an API without mass payouts, a server error', () => {
    const said = (status: number, code: string, extra: Partial<ExplainContext> = {}, retryAfter?: number) =>
      explainFailure(new ApiFailure(status, { code, message: 'm', request_id: 'req_1' }, '/p', retryAfter), { ...submit, ...extra });
    expect(said(409, 'external_id_taken')).toMatch(/another --external-id/);
    expect(said(413, 'too_many_items')).toMatch(/split it/);
    expect(said(429, 'rate_limited', {}, 12)).toMatch(/again in 12 s/);
    expect(said(404, 'route_not_found')).toMatch(/no mass payouts/);
    expect(said(404, 'mass_payout_not_found', { action: 'follow', massPayoutId: 'mp_9' })).toMatch(
      /no mass payout mp_9.*\nNext step: check the id/s,
    );
    expect(said(500, 'internal_error')).toMatch(/request req_1.*may still have been accepted.*\nNext step: read \.data\/logs\/api\.log/s);
  });
});
