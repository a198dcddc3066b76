import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts';
import { NetworkRegistry } from '../domain/networks';
import { DEV_TREASURY_PRIVATE_KEY } from './config';
import { encryptKeystore } from './keystore';
import { loadNetworksFile } from './networks-file';
import { treasurySigners } from './runtime';
import { sameSignerEverywhere, signerOfDelivery, localKeySigner } from './signer';

const dir = mkdtempSync(join(tmpdir(), 'runtime-'));
let files = 0;
const registryOf = (lines: string[], env: Record<string, string> = {}) => {
  const file = join(dir, `networks-${files++}.yaml`);
  writeFileSync(file, ['networks:', ...lines, ''].join('\n'));
  return new NetworkRegistry(loadNetworksFile(file, env));
};
const base = (signer: string) => `  - { preset: base, rpc_urls: ["https://b"], signer: ${signer} }`;
const sepolia = (signer?: string) => `  - { preset: sepolia, rpc_urls: ["https://s"]${signer ? `, signer: ${signer}` : ''} }`;

describe('treasurySigners: one signer per network', () => {
  it('gives each network the signer its entry names, and the default to a network that names none', async () => {
    const baseKey = generatePrivateKey();
    const defaultKey = generatePrivateKey();
    const registry = registryOf([base('{ private_key_variable: BASE_TREASURY_KEY }'), sepolia()]);
    const signers = await treasurySigners(registry, { BASE_TREASURY_KEY: baseKey, TREASURY_PRIVATE_KEY: defaultKey });
    expect(signers.forNetwork('base').address).toBe(privateKeyToAddress(baseKey));
    expect(signers.forNetwork('sepolia').address).toBe(privateKeyToAddress(defaultKey));
    expect(() => signers.forNetwork('polygon')).toThrow(/no signer for network polygon; configured: base, sepolia/);
  });

  it('builds a key named twice once, reads a keystore, and needs no default when every network names its key', async () => {
    const key = generatePrivateKey();
    const keystore = join(dir, 'treasury.json');
    writeFileSync(keystore, JSON.stringify(encryptKeystore(key, 'pw', { n: 1024 })));
    const reference = `{ keystore_file: ${keystore}, keystore_password_variable: KEYSTORE_PASSWORD }`;
    const signers = await treasurySigners(registryOf([base(reference), sepolia(reference)]), {
      KEYSTORE_PASSWORD: 'pw',
      NODE_ENV: 'production',
    });
    expect(signers.forNetwork('base')).toBe(signers.forNetwork('sepolia'));
    expect(signers.forNetwork('base').address).toBe(privateKeyToAddress(key));
  });

  it('names the network and what to set when a signer cannot be built, never the key', async () => {
    const registry = registryOf([base('{ private_key_variable: BASE_TREASURY_KEY }')]);
    await expect(treasurySigners(registry, {})).rejects.toThrow(
      /network base's signer \(networks file\): environment variable BASE_TREASURY_KEY \(private_key_variable\) is not set/,
    );
    await expect(treasurySigners(registry, { BASE_TREASURY_KEY: '0x1234-secret' })).rejects.toThrow(
      /network base's signer \(networks file\): BASE_TREASURY_KEY must be 0x followed by 64 hex digits$/,
    );
    const kms = registryOf([base('{ kms_key_id: alias/base }')]);
    await expect(treasurySigners(kms, {})).rejects.toThrow(/the KMS key alias\/base needs its region: kms_region, TREASURY_KMS_REGION/);
  });

  it("refuses in production a network whose signer is one of anvil's public keys, naming the network", async () => {
    const registry = registryOf([base('{ private_key_variable: BASE_TREASURY_KEY }')]);
    await expect(treasurySigners(registry, { NODE_ENV: 'production', BASE_TREASURY_KEY: DEV_TREASURY_PRIVATE_KEY })).rejects.toThrow(
      /network base's treasury 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 is one of anvil's development accounts/,
    );
  });
});

describe('signerOfDelivery', () => {
  it('refuses to sign a replacement with a key other than the one that signed the delivery', () => {
    const signer = localKeySigner(generatePrivateKey());
    const signers = sameSignerEverywhere(signer);
    expect(signerOfDelivery(signers, 'base', signer.address.toLowerCase())).toBe(signer);
    const other = privateKeyToAddress(generatePrivateKey());
    expect(() => signerOfDelivery(signers, 'base', other)).toThrow(
      new RegExp(`a delivery on base was signed by ${other}, but the network's signer is now ${signer.address}: restore the old signer`),
    );
  });
});
