/**
 * `npm start` when it cannot start: it says what to do next and leaves nothing running.
 * Each case runs scripts/dev-stack.ts as a process of its own, with its data in a throwaway
 * STACK_DATA_DIR and every port free and away from the defaults.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { boundPorts, processesUsing } from './stack/leftovers';
import { typescriptArgs } from './stack/process';
import { freeStackPorts, type StackPorts } from './stack/ports';

const root = path.join(__dirname, '..');

interface Run {
  code: number | null;
  output: string;
}

function runDevStack(env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, typescriptArgs(path.join(root, 'scripts', 'dev-stack.ts')), {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dev-stack did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    // 'close', not 'exit': only then has the last output been read from the pipes.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The test runner's environment minus what points at its own servers (npm start brings its own). */
function stackEnv(dataDir: string, ports: StackPorts, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, STACK_DATA_DIR: dataDir, ...extra };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'LOCAL_RPC_URLS', 'LOCAL_L2_RPC_URLS', 'LOCAL_USDC_ADDRESS']) delete env[name];
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  return env;
}

describe('npm start that cannot start', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-stack-test-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('without Go or a Temporal CLI, says what to install or how to set TEMPORAL_BIN, and starts nothing', async () => {
    // A PATH with node and nothing else, a HOME without the CLI cache, a GOROOT without Go.
    const bin = path.join(dataDir, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const ports = await freeStackPorts();
    const env = stackEnv(path.join(dataDir, 'data'), ports, {
      PATH: bin,
      HOME: path.join(dataDir, 'home'),
      GOROOT: path.join(dataDir, 'no-go'),
    });
    delete env.TEMPORAL_BIN;

    const run = await runDevStack(env);

    expect(run.code).toBe(1);
    expect(run.output).toContain('No Temporal CLI found');
    expect(run.output).toContain('install Go 1.24 or newer');
    expect(run.output).toContain('TEMPORAL_BIN=/path/to/temporal npm start');
    expect(run.output).not.toContain('starting the Temporal dev server');
    expect(processesUsing(dataDir)).toEqual([]);
    expect(await boundPorts(Object.values(ports))).toEqual([]);
  });

  it('with one port taken, names it, and stops every server that did start', async () => {
    const ports = await freeStackPorts();
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(ports.ANVIL_L2_PORT, '127.0.0.1', resolve));
    try {
      expect(process.env.TEMPORAL_BIN).toBeTruthy(); // set by scripts/test.ts: the CLI it built or found
      const run = await runDevStack(stackEnv(dataDir, ports, {}));

      expect(run.code).toBe(1);
      expect(run.output).toContain(`anvil chain 31338: 127.0.0.1:${ports.ANVIL_L2_PORT} is already in use`);
      // The other servers were starting at the same time; each one that came up was stopped again.
      expect(run.output).toContain('[stack] stopped');
      expect(processesUsing(dataDir)).toEqual([]);
      const others = Object.entries(ports)
        .filter(([name]) => name !== 'ANVIL_L2_PORT')
        .map(([, port]) => port);
      expect(await boundPorts(others)).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
