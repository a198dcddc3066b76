import { DEFAULT_API_URL, parseCliArgs } from './args';

const submit = ['payroll.csv', '--network', 'local', '--asset', 'USDC', '--purpose', 'payroll 2026-11'];

describe('mass-payout command line', () => {
  it('reads a submission with its defaults', () => {
    expect(parseCliArgs(submit)).toEqual({
      ok: true,
      options: {
        command: { kind: 'submit', file: 'payroll.csv', network: 'local', asset: 'USDC', purpose: 'payroll 2026-11' },
        apiUrl: DEFAULT_API_URL,
        follow: true,
        intervalMs: 1000,
      },
    });
  });

  it('reads every option, and the API URL from PAYOUT_API_URL unless --api names one', () => {
    const parsed = parseCliArgs(
      [...submit, '--external-id', 'pay-11', '--key', 'pek_a', '--approve-with', 'pek_b', '--no-follow', '--interval', '2.5'],
      { PAYOUT_API_URL: 'http://engine:8080/' },
    );
    expect(parsed).toEqual({
      ok: true,
      options: {
        command: { kind: 'submit', file: 'payroll.csv', network: 'local', asset: 'USDC', purpose: 'payroll 2026-11', externalId: 'pay-11' },
        apiUrl: 'http://engine:8080',
        key: 'pek_a',
        approveWith: 'pek_b',
        follow: false,
        intervalMs: 2500,
      },
    });
    expect(parseCliArgs([...submit, '--api', 'http://127.0.0.1:4000'], { PAYOUT_API_URL: 'http://engine:8080' })).toMatchObject({
      options: { apiUrl: 'http://127.0.0.1:4000' },
    });
  });

  it('follows an existing mass payout with --follow', () => {
    expect(parseCliArgs(['--follow', 'mp_123', '--approve-with', 'pek_b'])).toEqual({
      ok: true,
      options: {
        command: { kind: 'follow', massPayoutId: 'mp_123' },
        apiUrl: DEFAULT_API_URL,
        approveWith: 'pek_b',
        follow: true,
        intervalMs: 1000,
      },
    });
  });

  it('approves an existing one without following it', () => {
    expect(parseCliArgs(['--follow', 'mp_1', '--approve-with', 'pek_b', '--no-follow'])).toMatchObject({
      options: { command: { kind: 'follow', massPayoutId: 'mp_1' }, approveWith: 'pek_b', follow: false },
    });
  });

  it.each([
    [[], /name the CSV file/],
    [['a.csv', 'b.csv', '--network', 'local', '--asset', 'USDC', '--purpose', 'x'], /one CSV file per mass payout/],
    [['a.csv', '--network', 'local'], /missing --asset, --purpose/],
    [['a.csv', '--network', 'local', '--asset', 'USDC', '--purpose', '  '], /missing --purpose/],
    [[...submit, '--external-id', ''], /--external-id is empty/],
    [[...submit, '--key', ''], /--key is empty/],
    [[...submit, '--api', 'localhost:3000'], /not an http\(s\) URL/],
    [[...submit, '--interval', '0'], /--interval 0/],
    [[...submit, '--color'], /Unknown option '--color'/],
    [['a.csv', '--network'], /--network/],
    [['--follow', 'mp_1', 'a.csv'], /--follow takes only a mass payout id; drop a.csv/],
  ])('refuses %j with a message saying why', (argv, message) => {
    const parsed = parseCliArgs(argv as string[]);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok === false && parsed.message).toMatch(message);
  });

  it('answers -h with the usage', () => {
    expect(parseCliArgs(['-h'])).toEqual({ ok: true, help: true });
  });
});
