/**
 * Long-running child processes for the dev stack and the test runner: spawn a
 * server, wait until its port answers, stop it (and everything it forked).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ManagedProcess {
  name: string;
  pid: number;
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  exited: Promise<number | null>;
  /** SIGTERM to the process group, SIGKILL after 10 s; resolves when exited. Safe to call twice. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended here, so a failed start can be explained from the tail. */
  logFile: string;
  /** Run as another OS user (PostgreSQL refuses root). Node applies these in the child before exec. */
  uid?: number;
  gid?: number;
  /** Signal for a graceful stop; SIGTERM unless the server wants another (postgres: SIGINT = fast shutdown). */
  stopSignal?: NodeJS.Signals;
}

const KILL_AFTER_MS = 10_000;

/**
 * Node's arguments to run a TypeScript file with tsx's loader in the same process. Not the tsx CLI: its launcher is a
 * second process (about 47 MB), and on a signal it gives its child 30 ms to acknowledge before it sends SIGKILL, which
 * kills a busy worker in the middle of its graceful stop.
 */
export function typescriptArgs(script: string, root = path.join(__dirname, '..', '..')): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx', { paths: [root] })).href, script];
}

/**
 * Servers are detached, so they would outlive a runner that crashes or exits
 * without calling stop(). On 'exit' (normal end, process.exit, uncaught error)
 * send each live one its stop signal; they finish shutting down on their own.
 */
const live = new Map<number, NodeJS.Signals>();
let exitHookInstalled = false;
function trackUntilExit(pid: number, signal: NodeJS.Signals, exited: Promise<unknown>): void {
  live.set(pid, signal);
  void exited.then(() => live.delete(pid));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [livePid, liveSignal] of live) signalGroup(livePid, liveSignal);
  });
}

export function spawnManaged(name: string, command: string, args: readonly string[], options: SpawnOptions): ManagedProcess {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logFd = fs.openSync(options.logFile, 'a');
  fs.writeSync(logFd, `\n--- ${new Date().toISOString()} ${name}: ${command} ${args.join(' ')}\n`);

  let child;
  try {
    // detached = own process group, so stop() reaches grandchildren too and a
    // Ctrl-C in the terminal does not kill servers behind our back.
    child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: options.env ?? process.env,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
    });
  } finally {
    fs.closeSync(logFd); // the child holds its own copy
  }

  const pid = child.pid;
  if (pid === undefined) {
    // spawn reports ENOENT/EACCES asynchronously; swallow the event, we throw instead.
    child.on('error', () => {});
    throw new Error(
      `${name}: could not start ${command} (not found or not executable). Check the path, or set the env var that overrides it.`,
    );
  }

  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
  let isExited = false;
  void exited.then(() => {
    isExited = true;
  });
  trackUntilExit(pid, options.stopSignal ?? 'SIGTERM', exited);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!isExited) signalGroup(pid, options.stopSignal ?? 'SIGTERM');
      const killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_AFTER_MS);
      await exited;
      clearTimeout(killTimer);
      // The leader is gone; anything it forked and left behind goes too.
      signalGroup(pid, 'SIGKILL');
    })();
    return stopping;
  };

  return { name, pid, exited, stop };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

export interface WaitForPortOptions {
  timeoutMs: number;
  /** Fail fast (with its log) if this process exits before the port opens. */
  process?: ManagedProcess;
  logFile?: string;
}

/** Polls a TCP connect until it succeeds; throws with the log tail on exit or timeout. */
export async function waitForPort(host: string, port: number, options: WaitForPortOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let exitCode: number | null | undefined;
  let hasExited = false;
  void options.process?.exited.then((code) => {
    hasExited = true;
    exitCode = code;
  });

  for (;;) {
    if (await canConnect(host, port)) return;
    if (hasExited) {
      throw startupError(
        `${options.process?.name ?? 'process'} exited (code ${String(exitCode)}) before ${host}:${port} accepted connections`,
        options.logFile,
      );
    }
    if (Date.now() > deadline) {
      throw startupError(
        `${options.process?.name ?? 'server'} did not accept connections on ${host}:${port} within ${options.timeoutMs} ms`,
        options.logFile,
      );
    }
    await sleep(100);
  }
}

/** Error message carrying the last log lines and a next step, because "timeout" alone helps nobody. */
export function startupError(what: string, logFile?: string): Error {
  const tail = logFile ? tailFile(logFile, 20) : '';
  const lines = [what + '.'];
  if (logFile) {
    lines.push(`Last lines of ${logFile}:`, tail.trim() ? indent(tail) : '  (log is empty)');
    lines.push(`Next step: read ${logFile}; if the port is taken by a leftover server, stop it or pick another port.`);
  } else {
    lines.push('Next step: check that nothing else uses the port and retry.');
  }
  return new Error(lines.join('\n'));
}

/**
 * Refuse to start on a port someone already listens on: waitForPort would
 * otherwise succeed against the stranger (often a leftover from a crashed run).
 */
export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  if (await canConnect(host, port)) {
    throw new Error(
      `${what}: ${host}:${port} is already in use (a leftover server from an earlier run?).\n` +
        `Next step: find it with \`ss -ltnp | grep :${port}\` and stop it, or choose another port.`,
    );
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The start of the kernel's ephemeral range (32768 on Linux by default). Ports the OS hands out for `listen(0)` and
 * outgoing connections come from there, so a port chosen in it can be taken before its server binds it: the
 * Temporal dev server picks its internal ports that way, and CI once lost the smoke test's frontend port to one.
 */
function ephemeralRangeStart(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch {
    return 32768;
  }
}

const FIRST_CHOSEN_PORT = 10_000;
const handedOut = new Set<number>();

/**
 * Ports the Fetch standard blocks (https://fetch.spec.whatwg.org/#port-blocking): Node's fetch fails on them with
 * "bad port" before connecting, so a server there looks down to every readiness probe. CI once drew 10080.
 */
const FETCH_BLOCKED_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117,
  119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636,
  989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port that is free now, below the ephemeral range (see above), and not handed out before by this process. */
export async function freePort(): Promise<number> {
  const end = ephemeralRangeStart();
  for (let tries = 0; end - FIRST_CHOSEN_PORT > 1_000 && tries < 200; tries++) {
    const port = FIRST_CHOSEN_PORT + Math.floor(Math.random() * (end - FIRST_CHOSEN_PORT));
    if (handedOut.has(port) || FETCH_BLOCKED_PORTS.has(port) || !(await listenable(port))) continue;
    handedOut.add(port);
    return port;
  }
  return osChosenPort();
}

/** The OS's pick (ephemeral): the fallback when the range below it is too small to choose from. */
function osChosenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: no TCP address assigned'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** Last `lines` lines of a text file; '' if it does not exist. Reads only the end of big logs. */
export function tailFile(filePath: string, lines: number): string {
  let fd: number;
  try {
    fd = fs.openSync(filePath, 'r');
  } catch {
    return '';
  }
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').replace(/\n+$/, '');
    return text.split('\n').slice(-lines).join('\n');
  } finally {
    fs.closeSync(fd);
  }
}

export function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => '  ' + line)
    .join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
