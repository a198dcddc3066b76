/**
 * `npm run smoke:fresh-clone` (CI runs it after `npm test`): the README's first minutes, as a new user lives them.
 *   1. clones the commit under test into an empty folder (no node_modules, no generated/, no .data/);
 *   2. runs `npm start` there, exactly as the README says, on free ports away from the defaults;
 *   3. waits for the ready banner, creates the banner's (and the README's) payout with the printed key
 *      and waits for it to be `completed`;
 *   4. sends Ctrl-C (SIGINT to the process group, as a terminal does) and checks that no process it started
 *      is left and that every port is free again.
 * Only the Temporal CLI cache (~/.cache/payout-engine/bin, documented in the README) carries over from the machine.
 * Knobs: SMOKE_START_TIMEOUT_S [900], SMOKE_PAYOUT_TIMEOUT_S [180], SMOKE_KEEP=1 keeps the clone.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { boundPorts, processesUsing } from './stack/leftovers';
import { freeStackPorts, type StackPorts } from './stack/ports';
import { sleep } from './stack/process';

const root = path.join(__dirname, '..');
const log = (message: string) => console.log(`[smoke] ${message}`);
const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback) * 1000;
const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function git(args: string[], cwd = root): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

function cloneCommit(into: string): string {
  const commit = git(['rev-parse', 'HEAD']);
  if (git(['status', '--porcelain', '--untracked-files=no']))
    log('note: uncommitted changes are not part of the clone; this tests the commit');
  git(['clone', '--quiet', '--no-checkout', root, into]);
  git(['checkout', '--quiet', '--detach', commit], into);
  for (const absent of ['node_modules', 'generated', '.data']) {
    if (fs.existsSync(path.join(into, absent))) throw new Error(`the fresh clone has ${absent}/: it must come from git, not be tracked`);
  }
  return commit;
}

/** The machine's environment without what would point `npm start` elsewhere, or at this clone's node_modules. */
function userEnvironment(ports: StackPorts): NodeJS.ProcessEnv {
  const redirects = /^(npm_|DATABASE_URL$|TEMPORAL_(ADDRESS|NAMESPACE|TASK_QUEUE)$|LOCAL_|API_|STACK_DATA_DIR$|TEST_)/;
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !redirects.test(name)));
  env.PATH = (env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => !dir.includes('node_modules'))
    .join(path.delimiter);
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  return env;
}

interface Banner {
  apiUrl: string;
  key: string;
  payoutBody: string;
}

/** Reads the ready banner: the API URL, the printed key, and the body of the curl it suggests. */
function parseBanner(output: string): Banner | undefined {
  if (!output.includes('Payout engine is running')) return undefined;
  const apiUrl = /^\s+API\s+(http:\/\/\S+)/m.exec(output)?.[1];
  const key = /export KEY=(\S+)/.exec(output)?.[1];
  const payoutBody = /-d '(\{[^']+\})'/.exec(output)?.[1];
  if (!apiUrl || !key || !payoutBody) throw new Error(`the ready banner lacks ${!apiUrl ? 'the API URL' : !key ? 'the key' : 'the curl'}`);
  return { apiUrl, key, payoutBody };
}

async function createPayout(banner: Banner): Promise<string> {
  const response = await fetch(`${banner.apiUrl}/v1/payouts`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${banner.key}`, 'Content-Type': 'application/json', 'Idempotency-Key': `smoke-${Date.now()}` },
    body: banner.payoutBody,
  });
  const body = (await response.json()) as { id?: string };
  if (response.status !== 201 || !body.id) throw new Error(`POST /v1/payouts answered ${response.status}: ${JSON.stringify(body)}`);
  return body.id;
}

async function waitForCompleted(banner: Banner, id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const response = await fetch(`${banner.apiUrl}/v1/payouts/${id}`, { headers: { Authorization: `Bearer ${banner.key}` } });
    const body = (await response.json()) as { status?: string; failure?: unknown };
    if (body.status !== last) log(`payout ${id}: ${(last = body.status ?? `HTTP ${response.status}`)}`);
    if (body.status === 'completed') return;
    if (['failed', 'canceled', 'expired'].includes(body.status ?? ''))
      throw new Error(`payout ended ${body.status}: ${JSON.stringify(body)}`);
    await sleep(500);
  }
  throw new Error(`payout ${id} not completed within ${timeoutMs / 1000} s (last status ${last})`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payout-engine-fresh-clone-'));
  const clone = path.join(dir, 'payout-engine');
  let keep = process.env.SMOKE_KEEP === '1';
  let stack: ReturnType<typeof spawn> | undefined;
  const timings: string[] = [];
  try {
    const commit = cloneCommit(clone);
    log(`cloned ${commit.slice(0, 12)} into ${clone}`);
    const ports = await freeStackPorts();
    log(
      `ports ${Object.entries(ports)
        .map(([name, port]) => `${name}=${port}`)
        .join(' ')}`,
    );

    const readme = fs.readFileSync(path.join(clone, 'README.md'), 'utf8');
    if (!/^npm start\b/m.test(readme)) throw new Error('the README does not say `npm start`');

    // detached: a process group of its own, like a terminal's foreground job, so Ctrl-C can be sent to all of it.
    const startAt = Date.now();
    stack = spawn('npm', ['start'], { cwd: clone, env: userEnvironment(ports), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<string>((resolve) => stack!.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
    // 'exit' can come before the last output has been read from the pipes; 'close' comes after it.
    const outputRead = new Promise<void>((resolve) => stack!.once('close', () => resolve()));
    let output = '';
    const echo = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) console.log(`  | ${line}`);
    };
    stack.stdout!.on('data', echo);
    stack.stderr!.on('data', echo);

    let banner: Banner | undefined;
    const startDeadline = Date.now() + seconds('SMOKE_START_TIMEOUT_S', 900);
    let exitedAs: string | undefined;
    void exited.then((how) => (exitedAs = how));
    while (!(banner = parseBanner(output))) {
      if (exitedAs !== undefined) throw new Error(`npm start exited (${exitedAs}) before its ready banner`);
      if (Date.now() > startDeadline) throw new Error(`no ready banner within ${(startDeadline - startAt) / 1000} s`);
      await sleep(250);
    }
    timings.push(`npm start to banner ${elapsed(startAt)}`);
    if (!readme.includes(banner.payoutBody)) throw new Error(`the banner's payout is not the README's: ${banner.payoutBody}`);

    const payoutAt = Date.now();
    const id = await createPayout(banner);
    await waitForCompleted(banner, id, seconds('SMOKE_PAYOUT_TIMEOUT_S', 180));
    timings.push(`payout completed in ${elapsed(payoutAt)}`);

    const stopAt = Date.now();
    process.kill(-stack.pid!, 'SIGINT');
    const code = await within(exited, 60_000, 'npm start did not exit within 60 s of Ctrl-C');
    timings.push(`stopped in ${elapsed(stopAt)} (npm exited by ${code})`);
    await within(outputRead, 10_000, 'npm start exited, but its output was not closed within 10 s (a child still holds it)');
    if (!output.includes('[stack] stopped')) throw new Error('npm start exited without its "stopped" line');

    const left = processesUsing(clone);
    const bound = await boundPorts(Object.values(ports));
    if (left.length > 0 || bound.length > 0) {
      throw new Error(
        'after Ctrl-C, ' +
          [
            left.length ? `processes are left: ${left.map((p) => `${p.pid} ${p.command}`).join('; ')}` : '',
            bound.length ? `ports still bound: ${bound.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join(' and '),
      );
    }
    log(`passed in ${elapsed(started)}: ${timings.join(', ')}; no process left, every port free`);
  } catch (error) {
    keep = true;
    console.error(`[smoke] FAILED: ${error instanceof Error ? error.message : String(error)}`);
    console.error(`[smoke] the clone and its logs are kept in ${clone} (logs in .data/logs/)`);
    process.exitCode = 1;
  } finally {
    if (stack?.pid && stack.exitCode === null) signalGroup(stack.pid, 'SIGKILL');
    for (const { pid } of processesUsing(clone)) signalGroup(pid, 'SIGKILL', false);
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `promise`, or an error after `ms`; the timer does not outlive it (it would hold the process open). */
async function within<T>(promise: Promise<T>, ms: number, timeoutMessage: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(timeoutMessage)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals, group = true): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // already gone
  }
}

void main();
