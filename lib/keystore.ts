/**
 * Encrypted keystores (Web3 Secret Storage v3: scrypt + AES-128-CTR, keccak-256 MAC), the
 * format geth, foundry's `cast wallet` and most wallets export. Lets a development or
 * staging treasury key live on disk encrypted instead of in an environment variable.
 * Errors never include the key or the password.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID, scryptSync, timingSafeEqual } from 'node:crypto';
import { bytesToHex, hexToBytes, keccak256, type Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';

export interface KeystoreV3 {
  version: 3;
  id: string;
  address?: string;
  crypto: {
    cipher: 'aes-128-ctr';
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: 'scrypt';
    kdfparams: { dklen: number; n: number; r: number; p: number; salt: string };
    mac: string;
  };
}

const strip = (hex: string) => hex.replace(/^0x/, '');

function deriveKey(password: string, params: KeystoreV3['crypto']['kdfparams']): Buffer {
  const { n, r, p, dklen, salt } = params;
  return scryptSync(Buffer.from(password.normalize('NFKC'), 'utf8'), Buffer.from(strip(salt), 'hex'), dklen, {
    N: n,
    r,
    p,
    maxmem: 128 * r * (n + p + 2) + 64 * 1024 * 1024,
  });
}

function mac(derived: Buffer, ciphertext: Buffer): Buffer {
  return Buffer.from(hexToBytes(keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext]))));
}

export function decryptKeystore(json: string | KeystoreV3, password: string): Hex {
  const keystore = (typeof json === 'string' ? JSON.parse(json) : json) as KeystoreV3;
  if (keystore.version !== 3 || keystore.crypto?.kdf !== 'scrypt' || keystore.crypto?.cipher !== 'aes-128-ctr') {
    throw new Error('unsupported keystore: expected version 3 with scrypt and aes-128-ctr');
  }
  const derived = deriveKey(password, keystore.crypto.kdfparams);
  const ciphertext = Buffer.from(strip(keystore.crypto.ciphertext), 'hex');
  const expected = Buffer.from(strip(keystore.crypto.mac), 'hex');
  const actual = mac(derived, ciphertext);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new Error('wrong keystore password (MAC mismatch)');
  const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), Buffer.from(strip(keystore.crypto.cipherparams.iv), 'hex'));
  return bytesToHex(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
}

/** n = 2^18 is geth's "standard" cost (about a second); tests may pass a smaller one. */
export function encryptKeystore(privateKey: Hex, password: string, options: { n?: number } = {}): KeystoreV3 {
  const kdfparams = { dklen: 32, n: options.n ?? 262_144, r: 8, p: 1, salt: randomBytes(32).toString('hex') };
  const derived = deriveKey(password, kdfparams);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(strip(privateKey), 'hex')), cipher.final()]);
  return {
    version: 3,
    id: randomUUID(),
    address: strip(privateKeyToAddress(privateKey)).toLowerCase(),
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: { iv: iv.toString('hex') },
      ciphertext: ciphertext.toString('hex'),
      kdf: 'scrypt',
      kdfparams,
      mac: mac(derived, ciphertext).toString('hex'),
    },
  };
}
