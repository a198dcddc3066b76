/** Reading settings from the environment: one parser per kind, each naming the variable it refuses. */

export type Env = Record<string, string | undefined>;

const isUnset = (raw: string | undefined): raw is undefined | '' => raw === undefined || raw === '';

export function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (isUnset(raw)) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

export function list(value: string | undefined, fallback: string): string[] {
  return (value ?? fallback)
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** A non-negative integer of any size (block numbers). */
export function bigInteger(env: Env, name: string, fallback: bigint): bigint {
  const raw = env[name];
  if (isUnset(raw)) return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return BigInt(raw);
}

/** A non-negative integer that fits a JS number exactly (durations, counts; never an amount). */
export function integer(env: Env, name: string, fallback: number): number {
  const value = bigInteger(env, name, BigInt(fallback));
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${name} must be at most ${Number.MAX_SAFE_INTEGER}`);
  return Number(value);
}
