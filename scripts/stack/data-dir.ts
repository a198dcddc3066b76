/**
 * Where `npm start` keeps its state (.data/, or STACK_DATA_DIR for a second stack or a test), and
 * the settings it leaves there (stack.env) for `npm run keys` and `npm run ledger:check`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function stackDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STACK_DATA_DIR ? resolve(env.STACK_DATA_DIR) : join(__dirname, '..', '..', '.data');
}

export const stackEnvFile = (dataDir: string = stackDataDir()) => join(dataDir, 'stack.env');

/** The running stack's settings as NAME → value; empty when no stack has run here. */
export function readStackEnv(file: string = stackEnvFile()): Record<string, string> {
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
}
