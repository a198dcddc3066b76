/**
 * The DER → Ethereum signature conversion, over signatures from OpenSSL (node's crypto): the same encoding KMS
 * returns, made by an implementation that is not ours. The KMS calls themselves are tested against local-kms in
 * test/kms-signer.it.test.ts.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { bytesToHex, hexToBigInt, keccak256, parseTransaction, recoverTransactionAddress, serializeTransaction } from 'viem';
import { privateKeyToAccount, publicKeyToAddress } from 'viem/accounts';
import { lowS, parseDerSignature, toEthereumSignature, uncompressedPublicKey } from './kms-signer';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function opensslKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  return { spki: new Uint8Array(spki), privateKey, viemAccount: privateKeyToAccount(bytesToHex(d)) };
}

describe('KMS signature conversion', () => {
  it('reads the address from a DER public key (SPKI) exactly as from the private key', () => {
    const key = opensslKey();
    expect(publicKeyToAddress(uncompressedPublicKey(key.spki))).toBe(key.viemAccount.address);
  });

  it('refuses a public key on another curve, naming it', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(() => uncompressedPublicKey(new Uint8Array(p256))).toThrow(/P-256.*not EC secp256k1/);
  });

  it('turns 200 OpenSSL signatures into low-s Ethereum signatures that recover to the key, high s included', async () => {
    const key = opensslKey();
    const address = key.viemAccount.address;
    let highS = 0;
    for (let i = 0; i < 200; i++) {
      const message = Buffer.from(`payout ${i}`);
      // OpenSSL hashes with SHA-256 itself; KMS's DIGEST mode is handed that same 32-byte hash.
      const hash = bytesToHex(createHash('sha256').update(message).digest());
      const der = new Uint8Array(sign('sha256', message, key.privateKey));
      if (parseDerSignature(der).s > N / 2n) highS++;
      const signature = await toEthereumSignature(hash, der, address);
      expect(hexToBigInt(signature.s) <= N / 2n).toBe(true);
      expect(signature.v).toBe(27n + BigInt(signature.yParity));
    }
    // About half of OpenSSL's signatures are high-s; each of them was normalised above.
    expect(highS).toBeGreaterThan(50);
  });

  it('signs transactions that nodes accept: EIP-1559 and legacy (EIP-155) recover to the key', async () => {
    const key = opensslKey();
    const address = key.viemAccount.address;
    const transactions = [
      { chainId: 8453, type: 'eip1559', nonce: 7, to: address, value: 1n, gas: 21_000n, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n },
      { chainId: 137, type: 'legacy', nonce: 0, to: address, value: 2n, gas: 21_000n, gasPrice: 30n * 10n ** 9n },
    ] as const;
    for (const transaction of transactions) {
      const serialized = serializeTransaction(transaction);
      const hash = keccak256(serialized);
      // OpenSSL cannot sign a prehashed keccak digest through sign(); signing via the viem account gives the reference.
      const reference = await key.viemAccount.signTransaction(transaction);
      const parsed = parseTransaction(reference);
      const der = derOf(hexToBigInt(parsed.r!), hexToBigInt(parsed.s!));
      const raw = serializeTransaction(transaction, await toEthereumSignature(hash, der, address));
      expect(raw).toBe(reference);
      expect(await recoverTransactionAddress({ serializedTransaction: raw as never })).toBe(address);
      // The high-s twin of the same signature gives the same transaction.
      expect(
        serializeTransaction(
          transaction,
          await toEthereumSignature(hash, derOf(hexToBigInt(parsed.r!), N - hexToBigInt(parsed.s!)), address),
        ),
      ).toBe(reference);
    }
  });

  it('refuses a signature by another key, and malformed DER', async () => {
    const key = opensslKey();
    const other = opensslKey();
    const hash = bytesToHex(createHash('sha256').update('x').digest());
    const der = new Uint8Array(sign('sha256', Buffer.from('x'), other.privateKey));
    await expect(toEthereumSignature(hash, der, key.viemAccount.address)).rejects.toThrow(/does not recover/);
    expect(() => parseDerSignature(new Uint8Array([0x30, 0x02, 0x02, 0x00]))).toThrow(/DER signature/);
    expect(() => parseDerSignature(new Uint8Array([...der, 0]))).toThrow(/bytes after/);
  });

  it('lowS keeps a low s and mirrors a high one', () => {
    expect(lowS(1n)).toBe(1n);
    expect(lowS(N - 1n)).toBe(1n);
    expect(lowS(N / 2n)).toBe(N / 2n);
  });
});

/** DER of (r, s): INTEGERs with a leading zero where the top bit is set. */
function derOf(r: bigint, s: bigint): Uint8Array {
  const integer = (value: bigint) => {
    let hex = value.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, 'hex');
    if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
  };
  const body = Buffer.concat([integer(r), integer(s)]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
}
