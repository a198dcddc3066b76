/**
 * The alert rules (config/prometheus/alerts.yml) are valid Prometheus rules, each alert has a promtool unit test that
 * fires it (config/prometheus/alerts.test.yml), and each alert links a runbook section that exists.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FAILURE_CATEGORIES } from '../domain/failures';
import { EXCEPTION_CATEGORIES } from '../domain/reconciliation';
import { attentionRunbook } from '../domain/runbook';

const dir = join(__dirname, '..', 'config', 'prometheus');
const promtool = process.env.PROMTOOL_BIN;
const run = (...args: string[]) => {
  if (!promtool) throw new Error('PROMTOOL_BIN is not set; run the tests with `npm test` (it finds or builds promtool)');
  return execFileSync(promtool, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
};

type Rule = { alert: string; annotations: { runbook_url: string } };
const rules = (parseYaml(readFileSync(join(dir, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (group) => group.rules,
);

it('are valid rules (promtool check rules)', () => {
  expect(run('check', 'rules', 'alerts.yml')).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
});

it('pass their unit tests (promtool test rules), and every alert is fired by one', () => {
  expect(run('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  const tests = parseYaml(readFileSync(join(dir, 'alerts.test.yml'), 'utf8')) as {
    tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const fired = new Set(tests.tests.flatMap((test) => test.alert_rule_test.filter((t) => t.exp_alerts.length > 0).map((t) => t.alertname)));
  expect(rules.map((rule) => rule.alert).filter((alert) => !fired.has(alert))).toEqual([]);
});

it('link runbook sections that exist', () => {
  const runbook = readFileSync(join(__dirname, '..', 'docs', 'runbook.md'), 'utf8');
  // GitHub's anchors: lowercase, punctuation dropped, spaces to dashes.
  const anchors = new Set(
    [...runbook.matchAll(/^#{2,4} (.+)$/gm)].map((match) =>
      match[1]!
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  // Every reason a payout can wait for a person, and every exception category: each has its section.
  const reasons = Object.entries(FAILURE_CATEGORIES)
    .filter(([, category]) => category === 'action_required')
    .map(([code]) => code);
  const categories = [...EXCEPTION_CATEGORIES];
  const links = rules.flatMap((rule) => {
    const url = rule.annotations.runbook_url;
    if (url.includes('{{ $labels.reason }}')) return reasons.map((reason) => url.replace('{{ $labels.reason }}', reason));
    if (url.includes('{{ $labels.category }}')) return categories.map((category) => url.replace('{{ $labels.category }}', category));
    return [url];
  });
  expect(links.filter((url) => !anchors.has(url.replace(/^docs\/runbook\.md#/, '')))).toEqual([]);
  // The workflows' current details link the same sections for their attention reason.
  expect(reasons.map(attentionRunbook).filter((url) => !anchors.has(url.replace(/^docs\/runbook\.md#/, '')))).toEqual([]);
});
