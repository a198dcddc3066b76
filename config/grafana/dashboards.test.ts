/**
 * The committed Grafana dashboards (and the alert rules) against the series the engine really exports: every panel
 * queries the Prometheus datasource variable, and every metric name in every expression is one the engine registers,
 * one the Temporal SDK exports, or Prometheus' own. A renamed metric fails here, not on a blank dashboard.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Histogram, type Registry } from 'prom-client';
import { parse } from 'yaml';
import type { Db } from '../../lib/db';
import { engineStateMetrics, httpMetrics, payoutFlowMetrics, processRegistry } from '../../lib/metrics';

const ROOT = path.join(__dirname, '..', '..');
const DATASOURCE_UIDS = new Set(['${datasource}', '${DS_PROMETHEUS}']);

/**
 * The Temporal SDK's names as the TypeScript SDK's core exports them to Prometheus (sdk-core's worker and client
 * metrics): prefixed `temporal_`, counters without `_total` and histograms without a unit suffix (the exporter's
 * defaults), durations in seconds (worker.ts sets useSecondsForDurations).
 */
const TEMPORAL_SDK = {
  counters: [
    'temporal_workflow_completed',
    'temporal_workflow_failed',
    'temporal_workflow_canceled',
    'temporal_workflow_continue_as_new',
    'temporal_workflow_task_queue_poll_empty',
    'temporal_workflow_task_queue_poll_succeed',
    'temporal_workflow_task_execution_failed',
    'temporal_activity_poll_no_task',
    'temporal_activity_task_received',
    'temporal_activity_execution_failed',
    'temporal_worker_start',
    'temporal_sticky_cache_hit',
    'temporal_sticky_cache_miss',
    'temporal_sticky_cache_total_forced_eviction',
    'temporal_request',
    'temporal_request_failure',
    'temporal_long_request',
    'temporal_long_request_failure',
  ],
  gauges: ['temporal_worker_task_slots_available', 'temporal_worker_task_slots_used', 'temporal_num_pollers', 'temporal_sticky_cache_size'],
  histograms: [
    'temporal_workflow_endtoend_latency',
    'temporal_workflow_task_schedule_to_start_latency',
    'temporal_workflow_task_execution_latency',
    'temporal_workflow_task_replay_latency',
    'temporal_activity_schedule_to_start_latency',
    'temporal_activity_execution_latency',
    'temporal_activity_succeed_endtoend_latency',
    'temporal_request_latency',
    'temporal_long_request_latency',
  ],
};
/** The RPC series lib/chain.ts registers in its own registry: a counter {network, method, outcome} and a histogram {network, method}. */
const RPC = { counters: ['payout_rpc_requests_total'], histograms: ['payout_rpc_request_duration_seconds'] };
/** Prometheus' own series for each scrape target (WorkerDown uses up{job="payout-worker"}). */
const PROMETHEUS_OWN = ['up'];

const withHistogramSeries = (name: string) => [name, `${name}_bucket`, `${name}_sum`, `${name}_count`];

/** Every series name the engine's registries expose, built the way the API and the worker build them. */
function engineNames(): Set<string> {
  // Registering a gauge reads nothing; only a scrape would query (getMetricsAsArray does not collect).
  const db = {
    $queryRaw: () => {
      throw new Error('a dashboard check must not query the database');
    },
  } as unknown as Db;
  const registries: Registry[] = [processRegistry('worker'), processRegistry('api')];
  payoutFlowMetrics(registries[0]!);
  engineStateMetrics(registries[0]!, db, undefined, { findAsset: () => undefined });
  httpMetrics(registries[1]!);
  const names = registries.flatMap((registry) =>
    registry.getMetricsAsArray().flatMap((metric) => (metric instanceof Histogram ? withHistogramSeries(metric.name) : [metric.name])),
  );
  return new Set(names);
}

const KNOWN = new Set([
  ...engineNames(),
  ...TEMPORAL_SDK.counters,
  ...TEMPORAL_SDK.gauges,
  ...TEMPORAL_SDK.histograms.flatMap(withHistogramSeries),
  ...RPC.counters,
  ...RPC.histograms.flatMap(withHistogramSeries),
  ...PROMETHEUS_OWN,
]);

const FUNCTIONS = new Set(
  (
    'abs absent absent_over_time avg avg_over_time bottomk ceil changes clamp clamp_max clamp_min count count_over_time ' +
    'count_values delta deriv exp floor group histogram_quantile idelta increase irate label_join label_replace ' +
    'last_over_time ln log10 log2 max max_over_time min min_over_time predict_linear present_over_time quantile ' +
    'quantile_over_time rate resets round scalar sgn sort sort_desc sqrt stddev stdvar sum sum_over_time time timestamp topk vector'
  ).split(' '),
);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names (and functions) a PromQL expression uses. Strings, label matchers, ranges, Grafana variables and
 * label lists (`by (le, status)`) are dropped first; an identifier followed by `(` is a function; numbers are skipped.
 */
function promqlNames(expr: string): { metrics: string[]; functions: string[] } {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\b/gi, ' ')
    .replace(/\boffset\s+-?\w+/gi, ' ');
  const metrics: string[] = [];
  const functions: string[] = [];
  for (const [, number, identifier, call] of stripped.matchAll(/(\d*\.?\d+(?:e[+-]?\d+)?)|([A-Za-z_:][\w:]*)(\s*\()?/gi)) {
    if (number !== undefined || identifier === undefined) continue;
    if (call) functions.push(identifier);
    else if (!KEYWORDS.has(identifier.toLowerCase())) metrics.push(identifier);
  }
  return { metrics, functions };
}

/** What an expression uses that nothing exports, or a function PromQL does not have. */
function unknownIn(expr: string): string[] {
  const { metrics, functions } = promqlNames(expr);
  return [...metrics.filter((name) => !KNOWN.has(name)), ...functions.filter((name) => !FUNCTIONS.has(name)).map((name) => `${name}()`)];
}

interface Target {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  links?: unknown[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: { type?: string; uid?: string };
}
interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  links?: unknown[];
  templating?: { list?: Variable[] };
  panels?: Panel[];
}

const DIR = __dirname;
const dashboards = readdirSync(DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, dashboard: JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Dashboard }));
/** Panels inside collapsed rows count too; a row itself queries nothing. */
const panelsOf = (dashboard: Dashboard): Panel[] =>
  (dashboard.panels ?? []).flatMap((panel) => (panel.type === 'row' ? (panel.panels ?? []) : [panel]));
const isPrometheusVariable = (source: { type?: string; uid?: string } | undefined) =>
  source?.type === 'prometheus' && DATASOURCE_UIDS.has(source.uid ?? '');
const runbookSections = new Set(
  readFileSync(path.join(ROOT, 'docs', 'runbook.md'), 'utf8')
    .split('\n')
    .filter((line) => /^#{2,3} /.test(line))
    .map((line) => line.replace(/^#+ /, '')),
);

describe('the PromQL name extraction', () => {
  it('keeps metric names and drops labels, strings, ranges, variables, numbers and functions', () => {
    expect(
      promqlNames(
        'histogram_quantile(0.95, sum by (le, status) (rate(a_bucket{status!~"x|y", route="/v1/:id"}[$__rate_interval]))) > 1e3 or b / c',
      ),
    ).toEqual({ metrics: ['a_bucket', 'b', 'c'], functions: ['histogram_quantile', 'sum', 'rate'] });
    expect(promqlNames('sum(rate(x[5m])) by (instance) and on (job) up offset 1h')).toEqual({
      metrics: ['x', 'up'],
      functions: ['sum', 'rate'],
    });
  });

  it('reports a name nothing exports and a function PromQL lacks', () => {
    expect(unknownIn('rate(payout_transitions_totl[5m])')).toEqual(['payout_transitions_totl']);
    expect(unknownIn('rates(payout_transitions_total[5m])')).toEqual(['rates()']);
    expect(unknownIn('max by (status) (payouts_oldest_in_status_seconds)')).toEqual([]);
  });
});

describe('the Grafana dashboards', () => {
  it('are the four documented ones, each with a unique uid and title', () => {
    expect(dashboards.map(({ file }) => file)).toEqual([
      'payout-flow.json',
      'temporal-worker.json',
      'wallets.json',
      'webhooks-reconciliation.json',
    ]);
    const uids = dashboards.map(({ dashboard }) => dashboard.uid);
    const titles = dashboards.map(({ dashboard }) => dashboard.title);
    for (const value of [...uids, ...titles]) expect(value).toEqual(expect.any(String));
    expect(new Set(uids).size).toBe(dashboards.length);
    expect(new Set(titles).size).toBe(dashboards.length);
  });

  describe.each(dashboards)('$file', ({ dashboard }) => {
    it('has a prometheus datasource variable and no external links', () => {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
      expect(dashboard.templating?.list).toContainEqual(
        expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
      );
      expect(dashboard.links ?? []).toEqual([]);
      for (const panel of panelsOf(dashboard)) expect(panel.links ?? []).toEqual([]);
    });

    it('has panels that each have a title, the datasource variable and a query', () => {
      const panels = panelsOf(dashboard);
      expect(panels.length).toBeGreaterThan(0);
      for (const panel of panels) {
        expect(panel.title).toEqual(expect.stringMatching(/\S/));
        expect({ title: panel.title, datasource: isPrometheusVariable(panel.datasource) }).toEqual({
          title: panel.title,
          datasource: true,
        });
        const targets = panel.targets ?? [];
        expect({ title: panel.title, queries: targets.filter((target) => target.expr?.trim()).length > 0 }).toEqual({
          title: panel.title,
          queries: true,
        });
        for (const target of targets) expect(target.datasource === undefined || isPrometheusVariable(target.datasource)).toBe(true);
      }
    });

    it('queries only series the engine, the Temporal SDK or Prometheus export', () => {
      const unknown = panelsOf(dashboard).flatMap((panel) =>
        (panel.targets ?? []).flatMap((target) => unknownIn(target.expr ?? '').map((name) => `${panel.title}: ${name}`)),
      );
      const variables = (dashboard.templating?.list ?? []).filter((variable) => variable.type === 'query');
      for (const variable of variables) {
        expect(isPrometheusVariable(variable.datasource)).toBe(true);
        const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
        // label_values(metric{matchers}, label): the metric part is PromQL.
        const metric = /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1] ?? '';
        expect(metric).not.toBe('');
        unknown.push(...unknownIn(metric).map((name) => `variable ${variable.name}: ${name}`));
      }
      expect(unknown).toEqual([]);
    });

    it('names only runbook sections that exist', () => {
      const named = panelsOf(dashboard).flatMap((panel) =>
        [...(panel.description ?? '').matchAll(/section "([^"]+)"/g)].map((match) => match[1]!),
      );
      expect(named.filter((section) => !runbookSections.has(section))).toEqual([]);
    });
  });
});

describe('the alert rules', () => {
  it('reference only series something exports', () => {
    const rules = parse(readFileSync(path.join(ROOT, 'config', 'prometheus', 'alerts.yml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const alerts = rules.groups.flatMap((group) => group.rules);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.flatMap((rule) => unknownIn(rule.expr).map((name) => `${rule.alert}: ${name}`))).toEqual([]);
  });
});
