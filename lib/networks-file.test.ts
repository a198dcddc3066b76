import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAddress } from 'viem';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { DEV_BATCH_TRANSFER_ADDRESS } from '../contracts/batch-deploy';
import { DEV_USDC_ADDRESS } from './config';
import { DEFAULT_NETWORKS_FILE, loadNetworksFile, PRESETS_FILE } from './networks-file';

const dir = mkdtempSync(join(tmpdir(), 'networks-file-'));
let files = 0;
const fileWith = (text: string, extension = 'yaml') => {
  const file = join(dir, `networks-${files++}.${extension}`);
  writeFileSync(file, text);
  return file;
};
const presetIds = Object.keys((parseYaml(readFileSync(PRESETS_FILE, 'utf8')) as { presets: object }).presets);

describe('the default networks file (the local anvil chains)', () => {
  it('gives what the dev stack deploys, with the settings the environment tightens', () => {
    const [local, l2] = loadNetworksFile(DEFAULT_NETWORKS_FILE, {});
    expect(local).toMatchObject({ id: 'local', chainId: 31337, rpcUrls: ['http://127.0.0.1:8545'], confirmations: 2, pollIntervalMs: 500 });
    expect(local!.batchTransferAddress).toBe(DEV_BATCH_TRANSFER_ADDRESS);
    expect(local!.assets.find((asset) => asset.symbol === 'USDC')?.contractAddress).toBe(getAddress(DEV_USDC_ADDRESS));
    expect(local!.feeCeiling).toEqual({ maxFeePerGas: 1_000_000_000_000n, maxBumps: 10 });
    expect(l2).toMatchObject({ id: 'local-l2', chainId: 31338, batchTransferAddress: undefined });
    expect(l2!.assets.map((asset) => asset.symbol)).toEqual(['ETH']);
  });

  it('reads the environment: several RPC URLs, finality, fee ceiling, batching off', () => {
    const [local] = loadNetworksFile(DEFAULT_NETWORKS_FILE, {
      LOCAL_RPC_URLS: 'http://a:8545, http://b:8545',
      CONFIRMATIONS: '6',
      MAX_FEE_PER_GAS_WEI: '7',
      LOCAL_BATCH_TRANSFER_ADDRESS: 'none',
    });
    expect(local).toMatchObject({ rpcUrls: ['http://a:8545', 'http://b:8545'], confirmations: 6, batchTransferAddress: undefined });
    expect(local!.feeCeiling.maxFeePerGas).toBe(7n);
  });
});

describe('the presets', () => {
  const env = Object.fromEntries(presetIds.map((id) => [`RPC_${id.replace(/-/g, '_').toUpperCase()}`, `https://${id}.example`]));
  const networks = loadNetworksFile(
    fileWith(
      `networks:\n${presetIds.map((id) => `  - { preset: ${id}, rpc_urls: ["\${RPC_${id.replace(/-/g, '_').toUpperCase()}}"] }`).join('\n')}\n`,
    ),
    env,
  );
  const byId = new Map(networks.map((network) => [network.id, network]));

  it('cover the five mainnets and their testnets, each with one chain id and Circle USDC', () => {
    for (const id of [
      'ethereum',
      'base',
      'arbitrum',
      'optimism',
      'polygon',
      'sepolia',
      'base-sepolia',
      'arbitrum-sepolia',
      'optimism-sepolia',
      'polygon-amoy',
    ])
      expect(byId.get(id)?.assets.find((asset) => asset.symbol === 'USDC')).toMatchObject({ kind: 'erc20', decimals: 6 });
    expect(new Set(networks.map((network) => network.chainId)).size).toBe(networks.length);
    expect(byId.get('base')).toMatchObject({ chainId: 8453, finalityTag: 'safe', testnet: false });
    expect(byId.get('sepolia')).toMatchObject({ chainId: 11155111, finalityTag: 'finalized', testnet: true });
  });

  it('take the native asset from the network: POL on Polygon', () => {
    for (const id of ['polygon', 'polygon-amoy'])
      expect(byId.get(id)!.assets[0]).toMatchObject({ symbol: 'POL', kind: 'native', decimals: 18 });
    expect(byId.get('ethereum')!.assets[0]).toMatchObject({ symbol: 'ETH', kind: 'native' });
    // Polygon's nodes refuse priority fees under 25 gwei.
    expect(byId.get('polygon')!.minPriorityFeePerGas).toBe(30_000_000_000n);
  });

  it('keep the real networks to geth’s per-sender window', () => {
    for (const network of networks.filter((n) => !n.id.startsWith('local'))) expect(network.inFlightWindow).toBeLessThanOrEqual(16);
  });
});

describe('a deployment’s own file', () => {
  it('overrides preset fields and merges nested ones', () => {
    const [base] = loadNetworksFile(
      fileWith(
        'networks:\n  - preset: base\n    rpc_urls: ["https://one.example", "https://two.example"]\n    fees: { max_fee_per_gas: 0.5 gwei }\n',
      ),
      {},
    );
    expect(base).toMatchObject({ id: 'base', rpcUrls: ['https://one.example', 'https://two.example'] });
    expect(base!.feeCeiling).toEqual({ maxFeePerGas: 500_000_000n, maxBumps: 10 });
    expect(base!.minPriorityFeePerGas).toBe(1_000_000n);
  });

  it('may be JSON', () => {
    const [network] = loadNetworksFile(
      fileWith(JSON.stringify({ networks: [{ preset: 'sepolia', rpc_urls: ['https://s.example'] }] }), 'json'),
      {},
    );
    expect(network!.chainId).toBe(11155111);
  });

  it('reads a network’s signer by reference, never a key', () => {
    const [base, sepolia, polygon] = loadNetworksFile(
      fileWith(
        [
          'networks:',
          '  - { preset: base, rpc_urls: ["https://b"], signer: { kms_key_id: "${BASE_KEY}", kms_region: eu-west-1 } }',
          '  - { preset: sepolia, rpc_urls: ["https://s"], signer: { keystore_file: /run/k.json, keystore_password_file: /run/k.pass } }',
          '  - { preset: polygon, rpc_urls: ["https://p"], signer: { private_key_variable: POLYGON_TREASURY_KEY } }',
          '',
        ].join('\n'),
      ),
      { BASE_KEY: 'alias/base-treasury' },
    );
    expect(base!.signer).toEqual({ kind: 'kms', keyId: 'alias/base-treasury', region: 'eu-west-1' });
    expect(sepolia!.signer).toEqual({ kind: 'keystore', file: '/run/k.json', passwordFile: '/run/k.pass' });
    expect(polygon!.signer).toEqual({ kind: 'key-variable', variable: 'POLYGON_TREASURY_KEY' });
  });

  it('refuses a key written into the file, without repeating it', () => {
    const key = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
    const file = fileWith('networks:\n  - { preset: base, rpc_urls: ["https://b"], signer: { private_key: "${KEY}" } }\n');
    let message = '';
    try {
      loadNetworksFile(file, { KEY: key });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/networks\[0\]\.signer\.private_key: a networks file never holds a key: .* private_key_variable/);
    expect(message).not.toContain(key.slice(2, 20));
  });

  it.each([
    [
      'an unknown preset, listing the presets',
      'networks:\n  - preset: basee\n',
      {},
      /networks\[0\]\.preset: unknown preset "basee"; presets: ethereum, /,
    ],
    [
      'a missing environment variable, naming it and the field',
      'networks:\n  - { preset: base, rpc_urls: ["${BASE_RPC_URLS}"] }\n',
      {},
      /networks\[0\]\.rpc_urls\[0\]: environment variable BASE_RPC_URLS is not set/,
    ],
    [
      'no RPC URLs for a real network',
      'networks:\n  - preset: base\n',
      {},
      /networks\[0\]\.rpc_urls: is missing: give the network its RPC URLs/,
    ],
    [
      'a fee that is not an amount per gas',
      'networks:\n  - { preset: base, rpc_urls: ["https://b"], fees: { max_fee_per_gas: "5" } }\n',
      {},
      /networks\[0\]\.fees\.max_fee_per_gas: must be an amount per gas such as "30 gwei"/,
    ],
    [
      'more decimals than wei has',
      'networks:\n  - { preset: base, rpc_urls: ["https://b"], fees: { max_fee_per_gas: 0.0000000001 gwei } }\n',
      {},
      /fees\.max_fee_per_gas/,
    ],
    [
      'a misspelt field',
      'networks:\n  - { preset: base, rpc_urls: ["https://b"], confirmation: 3 }\n',
      {},
      /networks\[0\]: Unrecognized key: "confirmation"/,
    ],
    [
      'a bad checksum',
      'networks:\n  - preset: base\n    rpc_urls: ["https://b"]\n    tokens: [{ symbol: USDC, name: USD Coin, decimals: 6, address: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02914" }]\n',
      {},
      /networks\[0\]\.tokens\[0\]\.address: must be a 0x-prefixed 20-byte address/,
    ],
    [
      'an RPC URL that is not one',
      'networks:\n  - { preset: base, rpc_urls: ["${URLS}"] }\n',
      { URLS: 'https://a.example,not a url' },
      /networks\[0\]\.rpc_urls\[1\]: must be an http\(s\) or ws\(s\) URL/,
    ],
    [
      'a finality tag the node has no block for',
      'networks:\n  - { preset: base, rpc_urls: ["https://b"], finality: { block_tag: latest } }\n',
      {},
      /finality\.block_tag/,
    ],
    [
      'the same chain twice',
      'networks:\n  - { preset: base, rpc_urls: ["https://b"] }\n  - { preset: base, id: base-2, rpc_urls: ["https://b"] }\n',
      {},
      /chain id 8453 appears twice \(base and base-2\)/,
    ],
    [
      'a signer with two keys',
      'networks:\n  - { preset: base, rpc_urls: ["https://b"], signer: { kms_key_id: k, private_key_variable: K } }\n',
      {},
      /networks\[0\]\.signer: needs exactly one of kms_key_id, keystore_file and private_key_variable, has kms_key_id and private_key_variable/,
    ],
    [
      'a keystore without its password',
      'networks:\n  - { preset: base, rpc_urls: ["https://b"], signer: { keystore_file: /k.json } }\n',
      {},
      /networks\[0\]\.signer: keystore_file needs one of keystore_password_file and keystore_password_variable/,
    ],
    [
      'a region without a KMS key',
      'networks:\n  - { preset: base, rpc_urls: ["https://b"], signer: { private_key_variable: K, kms_region: eu-west-1 } }\n',
      {},
      /networks\[0\]\.signer\.kms_region: belongs with kms_key_id/,
    ],
    ['no network at all', 'networks: []\n', {}, /networks: lists no network/],
    ['a file that is not YAML', 'networks: [\n', {}, /is not valid YAML/],
  ])('refuses %s', (_, text, env, message) => {
    expect(() => loadNetworksFile(fileWith(text), env)).toThrow(message);
  });

  it('says which file it could not read', () => {
    expect(() => loadNetworksFile(join(dir, 'missing.yaml'), {})).toThrow(
      /cannot read the networks file .*missing\.yaml \(NETWORKS_FILE\)/,
    );
  });
});
