/**
 * Servers we build from source with `go install` (the Temporal CLI, local-kms): the Go module proxy is the one
 * download this needs. Built once into ~/.cache/payout-engine/bin, which a fresh clone reuses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { indent } from './process';
import { runCommand } from './run-command';
import { isExecutable, which } from './which';

export const CACHE_BIN_DIR = path.join(os.homedir(), '.cache', 'payout-engine', 'bin');

export interface GoBinary {
  /** The executable's name, as `go install` names it. */
  name: string;
  /** What to call it in messages ("Temporal CLI"). */
  label: string;
  /** The command that needs it, shown after `envVar=/path/to/name` ("npm start"). */
  usedBy: string;
  /** module@version */
  module: string;
  /** An environment variable that points at a binary of the user's own, checked first. */
  envVar: string;
  /** Also accept one on PATH (the Temporal CLI is often installed); a pinned emulator is not. */
  fromPath?: boolean;
  /** Other ways to get it, for the error when there is no Go. */
  alternatives: string[];
}

/** Path of the binary: $envVar, then PATH (if allowed), then our cache, else built once with `go install`. */
export async function ensureGoBinary(binary: GoBinary, log: (message: string) => void): Promise<string> {
  const fromEnv = process.env[binary.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${binary.envVar}=${fromEnv} is not an executable file. Fix or unset it.`);
    return fromEnv;
  }
  const onPath = binary.fromPath ? which(binary.name) : undefined;
  if (onPath) return onPath;
  const cached = path.join(CACHE_BIN_DIR, binary.name);
  if (isExecutable(cached)) return cached;

  // Go's own installer puts it in $GOROOT/bin (default /usr/local/go), often not on a non-login shell's PATH.
  const goRootGo = path.join(process.env.GOROOT || '/usr/local/go', 'bin', 'go');
  const go = which('go') ?? (isExecutable(goRootGo) ? goRootGo : undefined);
  if (!go) {
    throw new Error(
      `No ${binary.label} found (not in ${binary.envVar}${binary.fromPath ? ', not on PATH' : ''}, not in ${cached}) ` +
        `and no Go toolchain to build it (not on PATH, not in ${goRootGo}). Nothing was started.\n` +
        'Next step, one of:\n' +
        `  - install Go 1.24 or newer and run the command again: it builds the ${binary.label} once (go install ${binary.module});\n` +
        binary.alternatives.map((line) => `  - or ${line}\n`).join('') +
        `  - or point at one you have: ${binary.envVar}=/path/to/${binary.name} ${binary.usedBy}`,
    );
  }

  log(`building ${binary.name} with go install ${binary.module}, first time only, takes a few minutes`);
  fs.mkdirSync(CACHE_BIN_DIR, { recursive: true });
  const started = Date.now();
  const ticker = setInterval(() => log(`still building ${binary.name} (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  try {
    const result = await runCommand(go, ['install', binary.module], { env: { ...process.env, GOBIN: CACHE_BIN_DIR } });
    if (result.code !== 0 || !isExecutable(cached)) {
      const tail = result.output.trim().split('\n').slice(-20).join('\n');
      throw new Error(
        `go install ${binary.module} failed (exit ${String(result.code)}):\n${indent(tail)}\n` +
          'Next step: fix the Go error above (network access to the Go module proxy, disk space, Go >= 1.24), ' +
          `or build ${binary.name} yourself and set ${binary.envVar}.`,
      );
    }
  } finally {
    clearInterval(ticker);
  }
  log(`built ${cached} in ${Math.round((Date.now() - started) / 1000)} s`);
  return cached;
}
