/**
 * Schemathesis (PyPI) in a virtualenv outside the repository, installed on first use:
 * ~/.cache/payout-engine/schemathesis-<version>/. Pinned like every npm dependency.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../stack/run-command';

export const SCHEMATHESIS_VERSION = '4.32.5';

export async function ensureSchemathesis(log: (message: string) => void): Promise<string> {
  const venv = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'payout-engine', `schemathesis-${SCHEMATHESIS_VERSION}`);
  const cli = join(venv, 'bin', 'st');
  if (existsSync(cli) && (await runCommand(cli, ['--version'])).output.includes(SCHEMATHESIS_VERSION)) return cli;

  const python = process.env.PYTHON ?? 'python3';
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${venv}`);
  const steps: [string, string[]][] = [
    [python, ['-m', 'venv', '--clear', venv]],
    [join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`]],
  ];
  for (const [command, args] of steps) {
    const result = await runCommand(command, args, { timeoutMs: 600_000 });
    if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (Python 3.9+ with venv is needed):\n${result.output}`);
  }
  return cli;
}
