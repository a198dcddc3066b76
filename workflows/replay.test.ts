/**
 * Replays recorded histories of real runs (workflows/histories/, recorded by
 * `RECORD_HISTORIES=1 npm test -- workflows/payout.it.test.ts`, `… -- test/mass-payout.e2e.it.test.ts` and the delivery
 * tests that record a path of their own: see test/support/histories.ts) against today's workflow
 * code. A change that would break payouts already in flight fails here as a
 * nondeterminism error; an intended change goes behind `patched()` instead.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Resource } from '@opentelemetry/resources';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

// Histories of earlier workflow versions stay in subfolders: payouts started then may still be running.
const dir = join(__dirname, 'histories');
const histories = readdirSync(dir)
  .flatMap((name) => (statSync(join(dir, name)).isDirectory() ? readdirSync(join(dir, name)).map((file) => `${name}/${file}`) : [name]))
  .filter((file) => file.endsWith('.json'))
  .sort();

let bundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
// With OTEL_EXPORTER_OTLP_ENDPOINT set, the worker adds Temporal's OpenTelemetry workflow interceptors: a payout started
// by a worker without them must replay on one with them, and the other way round.
let tracedBundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
const tracing = () =>
  new OpenTelemetryPlugin({
    resource: new Resource({ 'service.name': 'replay' }),
    spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()),
  });
beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  [bundle, tracedBundle] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: require.resolve('./index'), logger: new DefaultLogger('ERROR') }),
    bundleWorkflowCode({
      workflowsPath: require.resolve('./index'),
      workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
      logger: new DefaultLogger('ERROR'),
    }),
  ]);
}, 120_000);

it('has recorded histories of every lifecycle path', () => {
  expect(histories).toEqual(
    expect.arrayContaining([
      'funding-timeout.json',
      'canceled-by-replacement.json',
      'v1-before-delivery/insufficient-funds.json',
      'happy-path.json',
      'two-approvals.json',
      'conversion-confirmed.json',
      'conversion-canceled.json',
      'canceled-pending-approval.json',
      'approval-expired.json',
      'conversion-expired.json',
      'rejected.json',
      'mass-payout-approved.json',
      'mass-payout-partial.json',
      'mass-payout-chunk-split-out.json',
      'mass-payout-chunk-single.json',
      'v2-before-delivery-fixes/happy-path.json',
      'broadcast-refused.json',
      'cancel-while-signing.json',
      'fee-ceiling.json',
      'funding-continued-as-new.json',
      'funding-resumed-after-continue-as-new.json',
      'mass-payout-funding-continued-as-new.json',
      'mass-payout-resumed-after-continue-as-new.json',
      'nonce-conflict-lagging-node.json',
      'nonce-conflict-resolved.json',
      'gas-hold-waited-for-funds.json',
      'broadcast-waited-for-funds.json',
      'mass-payout-chunk-nonce-conflict-lagging-node.json',
      // Recorded before the status records rode with their steps (8 activity tasks per paid payout, now 4).
      'v3-before-paired-records/happy-path.json',
      'v3-before-paired-records/fee-ceiling.json',
      'v3-before-paired-records/conversion-then-approval.json',
      'v3-before-paired-records/funding-resumed-after-continue-as-new.json',
      'v3-before-paired-records/cancel-while-signing.json',
    ]),
  );
});

it.each(histories)(
  'replays %s deterministically',
  async (file) => {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, file.replace(/\.json$/, '').replace('/', '-'));
  },
  30_000,
);

it.each(histories)(
  'replays %s deterministically with the tracing interceptors',
  async (file) => {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    await Worker.runReplayHistory(
      { workflowBundle: tracedBundle, plugins: [tracing()] },
      history,
      `traced-${file.replace(/\.json$/, '').replace('/', '-')}`,
    );
  },
  30_000,
);
