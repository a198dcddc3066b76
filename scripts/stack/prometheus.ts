/**
 * A local Prometheus for `npm start`: it scrapes the API, the worker and the Temporal SDK's endpoint, and loads the
 * alert rules (config/prometheus/alerts.yml), so `npm start` shows what production would alert on. It uses Debian's
 * `prometheus` package (or PROMETHEUS_BIN); without one it says how to get it, and the stack runs without it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnManaged, waitForPort } from './process';
import { isExecutable, which } from './which';

export interface LocalPrometheus {
  url: string;
  stop(): Promise<void>;
}

/** The binary, or why there is none (for the banner). */
export function findPrometheus(): { binary: string } | { missing: string } {
  const fromEnv = process.env.PROMETHEUS_BIN;
  if (fromEnv) return isExecutable(fromEnv) ? { binary: fromEnv } : { missing: `PROMETHEUS_BIN=${fromEnv} is not an executable file` };
  const onPath = which('prometheus');
  if (onPath) return { binary: onPath };
  return { missing: "no prometheus on PATH: install Debian's package (apt-get install prometheus) or set PROMETHEUS_BIN" };
}

export async function startPrometheus(options: {
  binary: string;
  port: number;
  dataDir: string;
  logFile: string;
  rulesFile: string;
  targets: { api: string; worker: string; temporalSdk: string };
}): Promise<LocalPrometheus> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const configFile = path.join(options.dataDir, 'prometheus.yml');
  // The job names are those the alert rules expect (up{job="payout-worker"}).
  const job = (name: string, target: string) => `  - job_name: ${name}\n    static_configs: [{ targets: ['${target}'] }]\n`;
  fs.writeFileSync(
    configFile,
    'global: { scrape_interval: 5s, evaluation_interval: 15s }\n' +
      `rule_files: ['${options.rulesFile}']\n` +
      'scrape_configs:\n' +
      job('payout-api', options.targets.api) +
      job('payout-worker', options.targets.worker) +
      job('temporal-sdk', options.targets.temporalSdk),
  );
  const child = spawnManaged(
    'prometheus',
    options.binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(options.dataDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      '--storage.tsdb.retention.time=7d',
    ],
    { logFile: options.logFile },
  );
  try {
    await waitForPort('127.0.0.1', options.port, { timeoutMs: 60_000, process: child, logFile: options.logFile });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${options.port}`, stop: child.stop };
}
