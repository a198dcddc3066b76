import { resolveApiKey } from './api-key';

const files = (content?: string) => (path: string) => (path === '/stack/dev-api-key' ? content : undefined);

describe('which API key', () => {
  it('takes --key first, then PAYOUT_API_KEY, then the dev stack file', () => {
    const env = { PAYOUT_API_KEY: ' pek_env \n' };
    expect(resolveApiKey('pek_flag', env, files('pek_file'), '/stack/dev-api-key')).toEqual({ ok: true, key: 'pek_flag', source: '--key' });
    expect(resolveApiKey(undefined, env, files('pek_file'), '/stack/dev-api-key')).toEqual({
      ok: true,
      key: 'pek_env',
      source: 'PAYOUT_API_KEY',
    });
    expect(resolveApiKey(undefined, {}, files('pek_file\n'), '/stack/dev-api-key')).toEqual({
      ok: true,
      key: 'pek_file',
      source: '.data/dev-api-key',
    });
  });

  it('without any says where to get one', () => {
    const resolved = resolveApiKey(undefined, { PAYOUT_API_KEY: '' }, files('  \n'), '/stack/dev-api-key');
    expect(resolved.ok).toBe(false);
    expect(resolved.ok === false && resolved.message).toMatch(/npm start/);
    expect(resolved.ok === false && resolved.message).toMatch(/npm run keys -- create/);
  });
});
