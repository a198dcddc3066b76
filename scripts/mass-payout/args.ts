/**
 * The command line of `npm run mass-payout`: what to pay (a CSV file and its network, asset and purpose) or which
 * mass payout to follow, where the API is, and what to do after acceptance. Pure: the caller reads files and keys.
 */
import { parseArgs } from 'node:util';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export const USAGE = `usage:
  npm run mass-payout -- <file.csv> --network <name> --asset <symbol> --purpose <text> [options]
  npm run mass-payout -- --follow <mass payout id> [--api URL] [--key KEY]

  <file.csv>             header address,amount,reference,memo (docs/mass-payout-csv.md)
  --network <name>       e.g. local (GET /v1/currencies lists them)
  --asset <symbol>       e.g. USDC or ETH
  --purpose <text>       what the payments are for, e.g. "payroll 2026-11"
  --external-id <id>     your id for the whole batch (unique per account)
  --api <url>            the API (default ${DEFAULT_API_URL}, or PAYOUT_API_URL)
  --key <key>            API key (default PAYOUT_API_KEY, then .data/dev-api-key from \`npm start\`)
  --approve-with <key>   approve it with this second key (another actor) if it waits for approval
  --no-follow            print the id and stop; the payout goes on
  --follow <id>          follow a mass payout created earlier (after Ctrl-C, say); with --approve-with
                         and --no-follow: approve it and stop
  --interval <seconds>   how often to ask for progress (default 1)

exit code: 0 completed (or accepted with --no-follow), 2 partially completed, 1 anything else, 130 after Ctrl-C`;

export interface SubmitCommand {
  kind: 'submit';
  file: string;
  network: string;
  asset: string;
  purpose: string;
  externalId?: string;
}

export interface FollowCommand {
  kind: 'follow';
  massPayoutId: string;
}

export interface CliOptions {
  command: SubmitCommand | FollowCommand;
  apiUrl: string;
  /** Only when given with --key; the caller falls back to the environment and the dev stack's file. */
  key?: string;
  approveWith?: string;
  follow: boolean;
  intervalMs: number;
}

export type ParsedArgs = { ok: true; options: CliOptions } | { ok: true; help: true } | { ok: false; message: string };

export function parseCliArgs(argv: string[], env: Record<string, string | undefined> = {}): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        network: { type: 'string' },
        asset: { type: 'string' },
        purpose: { type: 'string' },
        'external-id': { type: 'string' },
        api: { type: 'string' },
        key: { type: 'string' },
        'approve-with': { type: 'string' },
        'no-follow': { type: 'boolean' },
        follow: { type: 'string' },
        interval: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // parseArgs names the unknown option or the one missing its value.
    return { ok: false, message: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { ok: true, help: true };

  const apiUrl = (values.api ?? env.PAYOUT_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+/.test(apiUrl)) return { ok: false, message: `--api ${apiUrl} is not an http(s) URL, e.g. ${DEFAULT_API_URL}` };

  let intervalMs = 1000;
  if (values.interval !== undefined) {
    const seconds = Number(values.interval);
    if (!(seconds >= 0.2 && seconds <= 60)) return { ok: false, message: `--interval ${values.interval}: give seconds from 0.2 to 60` };
    intervalMs = Math.round(seconds * 1000);
  }

  const empty = (name: string, value: string | undefined) => value !== undefined && value.trim() === '' && `--${name} is empty`;
  for (const [name, value] of Object.entries({ key: values.key, 'approve-with': values['approve-with'] })) {
    const problem = empty(name, value);
    if (problem) return { ok: false, message: problem };
  }
  const common = {
    apiUrl,
    ...(values.key !== undefined ? { key: values.key.trim() } : {}),
    ...(values['approve-with'] !== undefined ? { approveWith: values['approve-with'].trim() } : {}),
    follow: !values['no-follow'],
    intervalMs,
  };

  if (values.follow !== undefined) {
    const extra = [
      ...positionals,
      ...['network', 'asset', 'purpose', 'external-id'].filter((name) => values[name as 'network'] !== undefined),
    ];
    if (extra.length) return { ok: false, message: `--follow takes only a mass payout id; drop ${extra.join(', ')}` };
    if (!values.follow.trim()) return { ok: false, message: '--follow needs the mass payout id the submission printed' };
    return { ok: true, options: { ...common, command: { kind: 'follow', massPayoutId: values.follow.trim() } } };
  }

  if (positionals.length === 0) return { ok: false, message: 'name the CSV file to pay, e.g. npm run mass-payout -- payroll.csv …' };
  if (positionals.length > 1)
    return { ok: false, message: `one CSV file per mass payout; got ${positionals.join(', ')} (quote a purpose with spaces)` };
  const missing = (['network', 'asset', 'purpose'] as const).filter((name) => !values[name]?.trim());
  if (missing.length) return { ok: false, message: `missing ${missing.map((name) => `--${name}`).join(', ')}` };
  const externalId = values['external-id'];
  if (externalId !== undefined && !externalId.trim()) return { ok: false, message: '--external-id is empty' };
  return {
    ok: true,
    options: {
      ...common,
      command: {
        kind: 'submit',
        file: positionals[0]!,
        network: values.network!.trim(),
        asset: values.asset!.trim(),
        purpose: values.purpose!.trim(),
        ...(externalId !== undefined ? { externalId: externalId.trim() } : {}),
      },
    },
  };
}
