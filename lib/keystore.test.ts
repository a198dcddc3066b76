import { privateKeyToAddress } from 'viem/accounts';
import { decryptKeystore, encryptKeystore } from './keystore';

describe('keystore', () => {
  // The definition's own scrypt vector (n = 2^18, r = 1) cannot be used: OpenSSL, behind
  // node:crypto, requires n < 2^(16 r). Keystores from geth and foundry use r = 8.
  it('refuses a tampered ciphertext', () => {
    const keystore = encryptKeystore('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', 'pw', { n: 1024 });
    const tampered = { ...keystore, crypto: { ...keystore.crypto, ciphertext: 'ff' + keystore.crypto.ciphertext.slice(2) } };
    expect(() => decryptKeystore(tampered, 'pw')).toThrow(/MAC mismatch/);
  });

  it('round-trips a key and refuses a wrong password without revealing the key', () => {
    const key = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
    const keystore = encryptKeystore(key, 'correct horse', { n: 1024 });
    expect(keystore.address).toBe(privateKeyToAddress(key).slice(2).toLowerCase());
    expect(JSON.stringify(keystore)).not.toContain(key.slice(2));
    expect(decryptKeystore(JSON.stringify(keystore), 'correct horse')).toBe(key);
    let message = '';
    try {
      decryptKeystore(keystore, 'wrong');
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/wrong keystore password/);
    expect(message).not.toContain(key.slice(2, 20));
  });
});

describe('treasurySigner from a keystore file', () => {
  it('signs as the keystore account', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { treasurySigner } = await import('./runtime');
    const key = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
    const file = join(mkdtempSync(join(tmpdir(), 'keystore-')), 'treasury.json');
    writeFileSync(file, JSON.stringify(encryptKeystore(key, 's3cret', { n: 1024 })));
    const signer = await treasurySigner({ TREASURY_KEYSTORE_FILE: file, TREASURY_KEYSTORE_PASSWORD: 's3cret' });
    expect(signer.address).toBe(privateKeyToAddress(key));
    expect(Object.values(signer).join(' ')).not.toContain(key.slice(2));
    await expect(treasurySigner({ TREASURY_KEYSTORE_FILE: file })).rejects.toThrow(/PASSWORD/);
    await expect(treasurySigner({ TREASURY_KEYSTORE_FILE: file, TREASURY_PRIVATE_KEY: key })).rejects.toThrow(
      /TREASURY_KEYSTORE_FILE and TREASURY_PRIVATE_KEY are both set/,
    );
    await expect(treasurySigner({ TREASURY_KMS_KEY_ID: 'alias/treasury' })).rejects.toThrow(/needs TREASURY_KMS_REGION/);
  });
});
