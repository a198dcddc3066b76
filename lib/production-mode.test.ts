/**
 * NODE_ENV=production refuses each setting that is only safe in development, through the same loadConfig and
 * treasurySigner the worker and the API call at start; the last test starts the real processes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnemonicToAccount, generatePrivateKey } from 'viem/accounts';
import { DEV_TREASURY_PRIVATE_KEY, loadConfig } from './config';
import { PUBLIC_DEV_ACCOUNTS } from './production-mode';
import { treasurySigner } from './runtime';

const dir = mkdtempSync(join(tmpdir(), 'production-mode-'));
const networksFile = (yaml: string) => {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return file;
};
const SEPOLIA = networksFile('networks:\n  - preset: sepolia\n    rpc_urls: ["https://sepolia.example.org/v2/SECRET-KEY"]\n');
const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://payouts@db:5432/payouts' };

describe('NODE_ENV=production', () => {
  it('starts with real networks over https, no private webhook targets', () => {
    expect(loadConfig({ ...production, NETWORKS_FILE: SEPOLIA }).registry.networks.map((network) => network.id)).toEqual(['sepolia']);
  });

  it('refuses the local presets (the default networks file), naming NETWORKS_FILE', () => {
    expect(() => loadConfig(production)).toThrow(
      /network local \(chain 31337\) is a local development chain from the default networks file: set NETWORKS_FILE/,
    );
    expect(() => loadConfig({ ...production, NETWORKS_FILE: networksFile('networks:\n  - preset: local-l2\n') })).toThrow(
      /network local-l2 \(chain 31338\) is a local development chain: set NETWORKS_FILE/,
    );
  });

  it('refuses a development chain id in a network of its own', () => {
    const file = networksFile(
      'networks:\n  - preset: sepolia\n    id: mine\n    chain_id: 1337\n    rpc_urls: ["https://rpc.example.org"]\n',
    );
    expect(() => loadConfig({ ...production, NETWORKS_FILE: file })).toThrow(/network mine \(chain 1337\) is a local development chain/);
  });

  it('refuses a plain http or ws RPC URL, without printing its path (where API keys live)', () => {
    const file = networksFile(
      'networks:\n  - preset: base\n    rpc_urls: ["https://base.example.org", "http://node.internal:8545/SECRET-KEY", "ws://ws.internal/x"]\n',
    );
    let message = '';
    try {
      loadConfig({ ...production, NETWORKS_FILE: file });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/network base's RPC URL 2 \(http:\/\/node\.internal:8545\) is not encrypted: use its https:\/\//);
    expect(message).toMatch(/network base's RPC URL 3 \(ws:\/\/ws\.internal\) is not encrypted/);
    expect(message).not.toMatch(/RPC URL 1/);
    expect(message).not.toContain('SECRET-KEY');
  });

  it('refuses private webhook targets', () => {
    expect(() => loadConfig({ ...production, NETWORKS_FILE: SEPOLIA, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })).toThrow(
      /WEBHOOK_ALLOW_PRIVATE_URLS is on: .* unset it/,
    );
  });

  it('lists every refusal at once', () => {
    const file = networksFile('networks:\n  - preset: local\n  - preset: base\n    rpc_urls: ["http://base.internal"]\n');
    expect(() => loadConfig({ ...production, NETWORKS_FILE: file, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })).toThrow(
      /refuses to start:\n {2}- network local .*\n {2}- network base's RPC URL 1 .*\n {2}- WEBHOOK_ALLOW_PRIVATE_URLS/,
    );
  });

  it('refuses a missing treasury signer and any of the public development keys; accepts a key of its own', async () => {
    await expect(treasurySigner(production)).rejects.toThrow(/no treasury signer is set.*set TREASURY_KMS_KEY_ID/);
    await expect(treasurySigner({ ...production, TREASURY_PRIVATE_KEY: DEV_TREASURY_PRIVATE_KEY })).rejects.toThrow(
      /one of anvil's development accounts, whose private keys are public: set TREASURY_KMS_KEY_ID/,
    );
    // anvil's account #0, the deployer everywhere.
    const zero = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
    await expect(treasurySigner({ ...production, TREASURY_PRIVATE_KEY: zero })).rejects.toThrow(/development accounts/);
    await expect(treasurySigner({ ...production, TREASURY_PRIVATE_KEY: generatePrivateKey() })).resolves.toHaveProperty('address');
    // Development keeps its default.
    await expect(treasurySigner({})).resolves.toHaveProperty('address');
  });

  it("lists exactly anvil's ten default accounts", () => {
    const mnemonic = 'test test test test test test test test test test test junk';
    expect(PUBLIC_DEV_ACCOUNTS).toEqual(
      Array.from({ length: 10 }, (_, addressIndex) => mnemonicToAccount(mnemonic, { addressIndex }).address),
    );
  });

  it.each(['worker.ts', 'api/server.ts'])(
    '%s exits at start with the refusals, before it connects anywhere',
    (script) => {
      const root = join(__dirname, '..');
      const started = spawnSync(process.execPath, ['--import', 'tsx', join(root, script)], {
        cwd: root,
        env: { PATH: process.env.PATH, ...production },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(started.status).toBe(1);
      expect(started.stderr).toMatch(/NODE_ENV=production refuses to start:\n {2}- network local \(chain 31337\)/);
    },
    70_000,
  );
});
