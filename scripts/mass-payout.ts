/**
 * `npm run mass-payout -- payroll.csv --network local --asset USDC --purpose "payroll"`: submits a CSV file as one
 * mass payout (POST /v1/mass-payouts, multipart), prints its id, item count and how long acceptance took, or every
 * bad row when the file is refused; then follows it with a progress bar on stderr until it is final, prints the
 * summary and the failed items, and exits 0 (completed), 2 (partially completed) or 1 (anything else).
 * Ctrl-C stops following; the mass payout goes on. `--follow <id>` follows one again. `npm run mass-payout -- -h`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { resolveApiKey, type ResolvedKey } from './mass-payout/api-key';
import { parseCliArgs, USAGE, type CliOptions } from './mass-payout/args';
import { ApiFailure, MassPayoutClient, type MassPayoutView } from './mass-payout/client';
import { explainFailure, type ExplainContext } from './mass-payout/explain';
import { followMassPayout } from './mass-payout/follow';
import { count, formatBytes, formatSeconds, itemsIn, progressState, renderProgress } from './mass-payout/progress';
import { progressLine } from './mass-payout/progress-line';
import { exitCodeFor, formatFailedItems, formatRejection, formatSummary, MAX_LISTED, nextStepFor } from './mass-payout/report';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** Thrown to end the command with this message and exit code. */
class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseCliArgs(argv, env);
  if (!parsed.ok) throw new Exit(1, `${parsed.message}\n\n${USAGE}`);
  if ('help' in parsed) {
    out(USAGE);
    return 0;
  }
  const { options } = parsed;
  const key = resolveApiKey(options.key, env);
  if (!key.ok) throw new Exit(1, key.message);
  const client = new MassPayoutClient(options.apiUrl, key.key);
  const context = (action: ExplainContext['action'], massPayoutId?: string): ExplainContext => ({
    action,
    apiUrl: options.apiUrl,
    keySource: key.source,
    ...(massPayoutId ? { massPayoutId } : {}),
  });

  let view: MassPayoutView;
  let startedAt = Date.now();
  if (options.command.kind === 'submit') {
    view = await submit(client, options, key, context);
  } else {
    const id = options.command.massPayoutId;
    view = await client.get(id).catch((error: unknown) => {
      throw new Exit(1, explainFailure(error, context('follow', id)));
    });
    const created = Date.parse(String(view.created_at ?? ''));
    if (Number.isFinite(created)) startedAt = created;
    out(
      `mass payout ${view.id}: ${count(view.item_count)} items, ${view.total_amount} ${view.asset ?? ''}, ${view.status}`.replace(
        / ,/,
        ',',
      ),
    );
  }

  view = await approveIfAsked(client, view, options, context);
  if (!options.follow) {
    out(`not following it; it goes on. Follow it with: npm run mass-payout -- --follow ${view.id}`);
    return 0;
  }
  return follow(client, view, startedAt, options, context);
}

async function submit(
  client: MassPayoutClient,
  options: CliOptions,
  key: Extract<ResolvedKey, { ok: true }>,
  context: (action: 'submit') => ExplainContext,
): Promise<MassPayoutView> {
  const command = options.command as Extract<CliOptions['command'], { kind: 'submit' }>;
  if (!existsSync(command.file) || !statSync(command.file).isFile()) {
    throw new Exit(
      1,
      `no file ${command.file}.\nNext step: check the path; the file is a CSV with the header address,amount,reference,memo.`,
    );
  }
  const csv = readFileSync(command.file);
  const idempotencyKey = randomUUID();
  err(
    `submitting ${command.file} (${formatBytes(csv.length)}) to ${options.apiUrl}: ` +
      `${command.asset} on ${command.network}, key from ${key.source}…`,
  );
  // Until the answer arrives, Ctrl-C cannot know whether the API took the file.
  const interrupted = () => {
    err(
      `\nstopped before the API answered: it may still accept the file (Idempotency-Key ${idempotencyKey}); check before submitting again.`,
    );
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  const started = performance.now();
  try {
    const view = await client.submitCsv(
      {
        csv,
        fileName: basename(command.file),
        network: command.network,
        asset: command.asset,
        purpose: command.purpose,
        ...(command.externalId !== undefined ? { externalId: command.externalId } : {}),
      },
      idempotencyKey,
    );
    const ms = performance.now() - started;
    out(
      `accepted ${view.id}: ${count(view.item_count)} items, ${view.total_amount} ${view.asset ?? command.asset} ` +
        `(status ${view.status}) in ${formatSeconds(ms)}`,
    );
    return view;
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 400) throw new Exit(1, formatRejection(error.error, command.file).join('\n'));
    throw new Exit(1, explainFailure(error, context('submit')));
  } finally {
    process.removeListener('SIGINT', interrupted);
  }
}

async function approveIfAsked(
  client: MassPayoutClient,
  view: MassPayoutView,
  options: CliOptions,
  context: (action: 'approve', id: string) => ExplainContext,
): Promise<MassPayoutView> {
  if (view.status !== 'pending_approval') {
    if (options.approveWith) err(`no approval needed (status ${view.status}); --approve-with was not used`);
    return view;
  }
  if (!options.approveWith) {
    err(
      `it waits for approval by another actor. Approve it with: npm run mass-payout -- --follow ${view.id} --approve-with <their key>\n` +
        `(or POST ${options.apiUrl}/v1/mass-payouts/${view.id}/approve with their key; /reject and /cancel refuse it)`,
    );
    return view;
  }
  const approver = new MassPayoutClient(options.apiUrl, options.approveWith);
  try {
    const answer = await approver.approve(view.id);
    const result = typeof answer.result === 'string' ? answer.result : 'approved';
    err(
      result === 'needs_more_approvals' ? 'approved; it needs more approvals (from other actors) before it is paid' : `approval: ${result}`,
    );
  } catch (error) {
    const message = explainFailure(error, { ...context('approve', view.id), keySource: '--approve-with' });
    if (!(error instanceof ApiFailure && error.status === 409)) throw new Exit(1, message);
    err(message);
  }
  return client.get(view.id).catch(() => view);
}

async function follow(
  client: MassPayoutClient,
  first: MassPayoutView,
  startedAt: number,
  options: CliOptions,
  context: (action: 'follow', id: string) => ExplainContext,
): Promise<number> {
  const line = progressLine(process.stderr);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  let result;
  try {
    result = await followMassPayout(client, first.id, {
      intervalMs: options.intervalMs,
      signal: stop.signal,
      onUpdate: (view) => line.update(renderProgress(view, Date.now() - startedAt), progressState(view)),
      onTrouble: (error, sinceMs) => line.note(`(no progress for ${formatSeconds(sinceMs)}: ${(error as Error).message}; still trying)`),
    });
  } catch (error) {
    line.finish();
    throw new Exit(
      1,
      `${explainFailure(error, context('follow', first.id))}\nThe mass payout itself goes on: npm run mass-payout -- --follow ${first.id}`,
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  line.finish();
  if (result.outcome === 'stopped') {
    err(
      `\nstopped following ${first.id}; it was NOT canceled and goes on.\n` +
        `Follow it again with: npm run mass-payout -- --follow ${first.id}   (cancel: POST ${options.apiUrl}/v1/mass-payouts/${first.id}/cancel)`,
    );
    return 130;
  }
  const view = result.view;
  for (const summaryLine of formatSummary(view, Date.now() - startedAt)) out(summaryLine);
  const failed = itemsIn(view, 'failed');
  if (failed > 0) {
    const page = await client.items(view.id, { status: 'failed', limit: MAX_LISTED }).catch((error: unknown) => {
      err(`could not list the failed items: ${(error as Error).message}`);
      return { data: [], next_cursor: null };
    });
    for (const itemLine of formatFailedItems(page.data, failed)) out(itemLine);
  }
  const next = nextStepFor(view, options.apiUrl);
  if (next) err(next);
  return exitCodeFor(view.status);
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof Exit) {
      err(`mass-payout: ${error.message}`);
      process.exit(error.code);
    }
    err(`mass-payout: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
