/**
 * The treasury signer for production: an AWS KMS key of spec ECC_SECG_P256K1 (secp256k1, Ethereum's curve). The private
 * key never leaves KMS; this process holds only the key's id and its public key. KMS returns a DER-encoded ECDSA
 * signature without Ethereum's recovery bit, so `s` is normalised to the lower half of the curve (EIP-2: nodes refuse
 * high-s signatures) and the recovery bit is found by recovering the address both ways.
 */
import { createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand, type KMSClientConfig } from '@aws-sdk/client-kms';
import {
  bytesToHex,
  hexToBytes,
  isAddressEqual,
  keccak256,
  numberToHex,
  recoverAddress,
  serializeTransaction,
  type Address,
  type Hex,
} from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import type { TransactionSigner } from './signer';

/** The order of secp256k1's group. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = SECP256K1_N / 2n;

export interface EthereumSignature {
  r: Hex;
  s: Hex;
  yParity: 0 | 1;
  /** 27 + yParity; viem adds EIP-155's chain id for legacy transactions. */
  v: bigint;
}

/** A DER ECDSA signature (SEQUENCE { INTEGER r, INTEGER s }), as KMS and OpenSSL return it. */
export function parseDerSignature(der: Uint8Array): { r: bigint; s: bigint } {
  const reader = derReader(der);
  const sequence = derReader(reader.read(0x30));
  if (!reader.done()) throw new Error('DER signature: bytes after the SEQUENCE');
  const r = derInteger(sequence.read(0x02));
  const s = derInteger(sequence.read(0x02));
  if (!sequence.done()) throw new Error('DER signature: bytes after s');
  if (r <= 0n || r >= SECP256K1_N || s <= 0n || s >= SECP256K1_N) throw new Error('DER signature: r or s out of range');
  return { r, s };
}

/** EIP-2: of the two valid `s` values, Ethereum accepts only the one in the lower half. */
export function lowS(s: bigint): bigint {
  return s > HALF_N ? SECP256K1_N - s : s;
}

/** 0x04 || X || Y from a DER SubjectPublicKeyInfo (what KMS GetPublicKey returns), checked to be on secp256k1. */
export function uncompressedPublicKey(spki: Uint8Array): Hex {
  const jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'secp256k1' || !jwk.x || !jwk.y) {
    throw new Error(`the public key is ${String(jwk.kty)} ${String(jwk.crv)}, not EC secp256k1`);
  }
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  return bytesToHex(Buffer.concat([Buffer.from([4]), x, y]));
}

/** The Ethereum signature of `hash` by `address`, from a DER signature of the same digest. */
export async function toEthereumSignature(hash: Hex, der: Uint8Array, address: Address): Promise<EthereumSignature> {
  const { r, s } = parseDerSignature(der);
  const rHex = numberToHex(r, { size: 32 });
  const sHex = numberToHex(lowS(s), { size: 32 });
  for (const yParity of [0, 1] as const) {
    const recovered = await recoverAddress({ hash, signature: { r: rHex, s: sHex, yParity } });
    if (isAddressEqual(recovered, address)) return { r: rHex, s: sHex, yParity, v: 27n + BigInt(yParity) };
  }
  throw new Error(`the signature does not recover to ${address}: the key signed something else, or is not this address's key`);
}

export interface KmsSignerOptions {
  /** Key id, key ARN, alias name (alias/…) or alias ARN. */
  keyId: string;
  client: KMSClient;
}

/** Reads the key's public key once (GetPublicKey), so the address is known before anything is signed. */
export async function kmsSigner({ keyId, client }: KmsSignerOptions): Promise<TransactionSigner> {
  const key = await kmsCall(keyId, 'GetPublicKey', () => client.send(new GetPublicKeyCommand({ KeyId: keyId })));
  if (key.KeySpec !== 'ECC_SECG_P256K1' || key.KeyUsage !== 'SIGN_VERIFY' || !key.PublicKey) {
    throw new Error(
      `KMS key ${keyId} is ${String(key.KeySpec)} for ${String(key.KeyUsage)}; an Ethereum signer needs a key created with ` +
        'KeySpec ECC_SECG_P256K1 and KeyUsage SIGN_VERIFY',
    );
  }
  const address = publicKeyToAddress(uncompressedPublicKey(key.PublicKey));
  return {
    address,
    async signTransaction(transaction) {
      const hash = keccak256(serializeTransaction(transaction));
      const signed = await kmsCall(keyId, 'Sign', () =>
        client.send(new SignCommand({ KeyId: keyId, Message: hexToBytes(hash), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' })),
      );
      if (!signed.Signature) throw new Error(`KMS Sign for key ${keyId} returned no signature`);
      return serializeTransaction(transaction, await toEthereumSignature(hash, signed.Signature, address));
    },
  };
}

/** The client for TREASURY_KMS_* settings; credentials from the env given, else the SDK's default chain (IAM role, profile). */
export function kmsClient(env: Record<string, string | undefined>): KMSClient {
  const region = env.TREASURY_KMS_REGION ?? env.AWS_REGION;
  if (!region) throw new Error('TREASURY_KMS_KEY_ID needs TREASURY_KMS_REGION (or AWS_REGION): the region the key lives in');
  const config: KMSClientConfig = {
    region,
    maxAttempts: 3,
    // A signing activity must not hang on a dead connection: it times out and Temporal retries it.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
  };
  if (env.TREASURY_KMS_ENDPOINT) config.endpoint = env.TREASURY_KMS_ENDPOINT;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return new KMSClient(config);
}

/** KMS errors name the key and the call, and what to check; never a credential. */
async function kmsCall<T>(keyId: string, call: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const { name, message } = error as Error;
    throw new Error(
      `KMS ${call} for key ${keyId} failed: ${name}: ${message}. Check the key id and region, and that this process's ` +
        `credentials may call kms:${call} on it`,
      { cause: error },
    );
  }
}

type Reader = { read(tag: number): Uint8Array; done(): boolean };

function derReader(bytes: Uint8Array): Reader {
  let offset = 0;
  return {
    read(tag) {
      if (bytes[offset] !== tag) throw new Error(`DER signature: expected tag 0x${tag.toString(16)} at byte ${offset}`);
      let length = bytes[offset + 1] ?? 0;
      offset += 2;
      if (length & 0x80) {
        const size = length & 0x7f;
        if (size === 0 || size > 2) throw new Error('DER signature: bad length');
        length = 0;
        for (let i = 0; i < size; i++) length = (length << 8) | (bytes[offset + i] ?? 0);
        offset += size;
      }
      if (offset + length > bytes.length) throw new Error('DER signature: truncated');
      const value = bytes.subarray(offset, offset + length);
      offset += length;
      return value;
    },
    done: () => offset === bytes.length,
  };
}

function derInteger(bytes: Uint8Array): bigint {
  if (bytes.length === 0 || bytes.length > 33) throw new Error('DER signature: bad INTEGER length');
  if ((bytes[0] ?? 0) & 0x80) throw new Error('DER signature: negative INTEGER');
  return BigInt(bytesToHex(bytes));
}
