/**
 * The networks file: which networks this deployment pays on, read from NETWORKS_FILE (YAML or JSON) and checked once
 * at start. Each entry names a preset from config/networks/presets.yaml and overrides what it needs (its RPC URLs at
 * least); `${NAME}` and `${NAME:-default}` are read from the environment. A bad file stops the process with the
 * field's path and what is allowed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getAddress, isAddress, type Address } from 'viem';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseAmount } from '../domain/money';
import type { AssetDefinition, NetworkDefinition, SignerReference } from '../domain/networks';
import type { Env } from './env';

export const PRESETS_FILE = join(__dirname, '..', 'config', 'networks', 'presets.yaml');
export const DEFAULT_NETWORKS_FILE = join(__dirname, '..', 'config', 'networks', 'local.yaml');

const count = (min: number) =>
  z
    .union([z.number(), z.string().regex(/^[0-9]+$/, 'must be a whole number')])
    .transform(Number)
    .pipe(z.number().int().min(min));

/** "300 gwei", "0.05 gwei" or "1000000000 wei": exact, never rounded (a gwei amount has at most 9 decimals). */
const weiPerGas = z.string().transform((value, ctx) => {
  const match = /^\s*([0-9.]+)\s*(wei|gwei)\s*$/.exec(value);
  // parseAmount refuses 0 (no payout is zero); a zero priority-fee floor is valid.
  const parsed =
    match && (/^0+(\.0+)?$/.test(match[1]!) ? { ok: true as const, units: 0n } : parseAmount(match[1], match[2] === 'gwei' ? 9 : 0));
  if (!parsed?.ok) {
    ctx.addIssue({
      code: 'custom',
      message: `must be an amount per gas such as "30 gwei" or "1000000000 wei", got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return parsed.units;
});

const address = z
  .string()
  .refine((value) => isAddress(value), 'must be a 0x-prefixed 20-byte address (mixed case must be a valid EIP-55 checksum)');

const tokenSchema = z.strictObject({
  symbol: z.string().regex(/^[A-Z0-9.]{2,11}$/, 'must be 2-11 capital letters or digits'),
  name: z.string().min(1),
  decimals: count(0).pipe(z.number().max(36)),
  address,
  screen_blacklist: z.boolean().optional(),
});

const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable');

/**
 * The network's treasury signer, by reference: a KMS key id, a keystore file, or the name of the variable that holds a
 * raw key. Exactly one of kms_key_id, keystore_file and private_key_variable.
 */
const signerSchema = z
  .strictObject({
    kms_key_id: z.string().min(1).optional(),
    kms_region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-[0-9]+$/, 'must be an AWS region such as "eu-west-1"')
      .optional(),
    keystore_file: z.string().min(1).optional(),
    keystore_password_file: z.string().min(1).optional(),
    keystore_password_variable: variableName.optional(),
    private_key_variable: variableName.optional(),
    // The file is read by people and tools that must never see a key.
    private_key: z
      .never({ error: 'a networks file never holds a key: put it in an environment variable and name it in private_key_variable' })
      .optional(),
  })
  .transform((signer, ctx): SignerReference => {
    const kinds = (['kms_key_id', 'keystore_file', 'private_key_variable'] as const).filter((key) => signer[key] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `needs exactly one of kms_key_id, keystore_file and private_key_variable${kinds.length ? `, has ${kinds.join(' and ')}` : ''}`,
      });
      return z.NEVER;
    }
    const misplaced = (keys: readonly (keyof typeof signer)[], owner: string) => {
      for (const key of keys)
        if (signer[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `belongs with ${owner}` });
    };
    if (signer.kms_key_id !== undefined) {
      misplaced(['keystore_password_file', 'keystore_password_variable'], 'keystore_file');
      return { kind: 'kms', keyId: signer.kms_key_id, ...(signer.kms_region ? { region: signer.kms_region } : {}) };
    }
    misplaced(['kms_region'], 'kms_key_id');
    if (signer.keystore_file !== undefined) {
      const passwords = [signer.keystore_password_file, signer.keystore_password_variable].filter((value) => value !== undefined);
      if (passwords.length !== 1)
        ctx.addIssue({ code: 'custom', message: 'keystore_file needs one of keystore_password_file and keystore_password_variable' });
      return {
        kind: 'keystore',
        file: signer.keystore_file,
        ...(signer.keystore_password_file ? { passwordFile: signer.keystore_password_file } : {}),
        ...(signer.keystore_password_variable ? { passwordVariable: signer.keystore_password_variable } : {}),
      };
    }
    misplaced(['keystore_password_file', 'keystore_password_variable'], 'keystore_file');
    return { kind: 'key-variable', variable: signer.private_key_variable! };
  });

const networkSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be lowercase letters, digits and dashes'),
  name: z.string().min(1),
  chain_id: count(1),
  testnet: z.boolean(),
  development_only: z.boolean().optional(),
  l1_data_fee: z.enum(['op-stack']).optional(),
  block_time_ms: count(1),
  rpc_urls: z
    .array(z.string(), { error: 'is missing: give the network its RPC URLs in the networks file, e.g. ["${BASE_RPC_URLS}"]' })
    .transform((urls) =>
      urls
        .flatMap((url) => url.split(','))
        .map((url) => url.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^(https?|wss?)$/, error: 'must be an http(s) or ws(s) URL' })).min(1, 'needs at least one RPC URL')),
  native: z.strictObject({ symbol: tokenSchema.shape.symbol, name: z.string().min(1), decimals: tokenSchema.shape.decimals }),
  finality: z.strictObject({ confirmations: count(1), block_tag: z.enum(['safe', 'finalized']).optional() }),
  fees: z.strictObject({ max_fee_per_gas: weiPerGas, min_priority_fee: weiPerGas, max_bumps: count(0) }),
  /** Absent: the block time, kept between 0.5 s and 4 s (receipts are not worth polling faster, nor waiting for longer). */
  poll_interval_ms: count(50).optional(),
  replace_after_ms: count(1),
  rebroadcast_after_ms: count(1),
  in_flight_window: count(1),
  batch_transfer_address: z.union([z.literal('none'), address]).optional(),
  signer: signerSchema.optional(),
  sanctions_oracle: address.optional(),
  tokens: z.array(tokenSchema),
});

type NetworkEntry = z.output<typeof networkSchema>;

const fileSchema = z.strictObject({
  networks: z.array(z.record(z.string(), z.unknown())).min(1, 'lists no network'),
});

const presetsSchema = z.strictObject({ presets: z.record(z.string(), z.record(z.string(), z.unknown())) });

export class NetworksFileError extends Error {}

/** Reads, expands and checks a networks file; `presetsFile` is for tests. */
export function loadNetworksFile(file: string, env: Env, presetsFile = PRESETS_FILE): NetworkDefinition[] {
  const presets = presetsSchema.parse(readDocument(presetsFile)).presets;
  const parsed = fileSchema.safeParse(readDocument(file));
  if (!parsed.success) throw new NetworksFileError(`${file}: ${describe(parsed.error)}`);
  const networks = parsed.data.networks.map((entry, index) => {
    const where = `${file}: networks[${index}]`;
    const { preset: presetId, ...overrides } = entry;
    let merged: Record<string, unknown> = overrides;
    if (presetId !== undefined) {
      const preset = typeof presetId === 'string' ? presets[presetId] : undefined;
      if (!preset)
        throw new NetworksFileError(
          `${where}.preset: unknown preset ${JSON.stringify(presetId)}; presets: ${Object.keys(presets).join(', ')}`,
        );
      merged = mergeOver({ id: presetId, ...preset }, overrides);
    }
    const expanded = expandEnv(merged, env, where);
    const network = networkSchema.safeParse(expanded);
    if (!network.success) throw new NetworksFileError(`${where}${describe(network.error, '.')}`);
    return toDefinition(network.data);
  });
  const seen = new Map<string, string>();
  for (const network of networks) {
    for (const [key, label] of [
      [`id:${network.id}`, `id ${network.id}`],
      [`chain:${network.chainId}`, `chain id ${network.chainId}`],
    ] as const) {
      if (seen.has(key)) throw new NetworksFileError(`${file}: ${label} appears twice (${seen.get(key)} and ${network.id})`);
      seen.set(key, network.id);
    }
  }
  return networks;
}

function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new NetworksFileError(`cannot read the networks file ${file} (NETWORKS_FILE): ${(error as Error).message}`);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new NetworksFileError(`${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
}

/** Objects merge key by key; anything else (lists included) is replaced whole. */
function mergeOver(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = out[key];
    out[key] = isPlainObject(under) && isPlainObject(value) ? mergeOver(under, value) : value;
  }
  return out;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${NAME}` / `${NAME:-default}` in every string; an unset variable without a default is an error. */
export function expandEnv(value: unknown, env: Env, path: string): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_, name: string, fallback: string | undefined) => {
      const set = env[name];
      if (set !== undefined && set !== '') return set;
      if (fallback !== undefined) return fallback;
      throw new NetworksFileError(`${path}: environment variable ${name} is not set (the file refers to \${${name}})`);
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => expandEnv(item, env, `${path}[${index}]`));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expandEnv(item, env, `${path}.${key}`)]));
  return value;
}

function describe(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
      return `${prefix === '' ? path.replace(/^\./, '') : path}: ${issue.message}`;
    })
    .join('; ');
}

function toDefinition(entry: NetworkEntry): NetworkDefinition {
  const native: AssetDefinition = { ...entry.native, kind: 'native' };
  const tokens: AssetDefinition[] = entry.tokens.map((token) => ({
    symbol: token.symbol,
    name: token.name,
    decimals: token.decimals,
    kind: 'erc20',
    contractAddress: getAddress(token.address) as Address,
    ...(token.screen_blacklist ? { screenBlacklist: true } : {}),
  }));
  const symbols = new Set<string>();
  for (const asset of [native, ...tokens]) {
    if (symbols.has(asset.symbol)) throw new NetworksFileError(`network ${entry.id}: asset ${asset.symbol} is listed twice`);
    symbols.add(asset.symbol);
  }
  return {
    id: entry.id,
    name: entry.name,
    chainId: entry.chain_id,
    testnet: entry.testnet,
    developmentOnly: entry.development_only ?? false,
    ...(entry.l1_data_fee ? { l1DataFee: entry.l1_data_fee } : {}),
    blockTimeMs: entry.block_time_ms,
    rpcUrls: entry.rpc_urls,
    confirmations: entry.finality.confirmations,
    finalityTag: entry.finality.block_tag,
    pollIntervalMs: entry.poll_interval_ms ?? Math.min(Math.max(entry.block_time_ms, 500), 4_000),
    replaceAfterMs: entry.replace_after_ms,
    rebroadcastAfterMs: entry.rebroadcast_after_ms,
    minPriorityFeePerGas: entry.fees.min_priority_fee,
    feeCeiling: { maxFeePerGas: entry.fees.max_fee_per_gas, maxBumps: entry.fees.max_bumps },
    inFlightWindow: entry.in_flight_window,
    batchTransferAddress:
      entry.batch_transfer_address && entry.batch_transfer_address !== 'none'
        ? (getAddress(entry.batch_transfer_address) as Address)
        : undefined,
    ...(entry.signer ? { signer: entry.signer } : {}),
    ...(entry.sanctions_oracle ? { sanctionsOracle: getAddress(entry.sanctions_oracle) as Address } : {}),
    assets: [native, ...tokens],
  };
}
