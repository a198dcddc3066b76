import { randomBytes } from 'node:crypto';
import { checksumAddress, isAddress, zeroAddress } from 'viem';
import { checkAddress, checksumLowerHex } from './eip55';

describe('checksumLowerHex', () => {
  // The test vectors of EIP-55 itself.
  it.each([
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    '0x52908400098527886E0F7030069857D2E4169EE7',
    '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
    '0xde709f2102306220921060314715629080e2fb77',
    '0x27b1fdb04752bbc536007a920d24acb045561c26',
  ])('gives the EIP-55 test vector %s', (expected) => {
    expect(checksumLowerHex(expected.slice(2).toLowerCase())).toBe(expected);
  });

  it('agrees with viem on 5,000 random addresses and on edge patterns', () => {
    const samples = Array.from({ length: 5000 }, () => randomBytes(20).toString('hex'));
    samples.push('0'.repeat(40), 'f'.repeat(40), 'a'.repeat(40), '0123456789abcdef'.repeat(3).slice(0, 40));
    for (const hex of samples) expect(checksumLowerHex(hex)).toBe(checksumAddress(`0x${hex}`));
  });
});

describe('checkAddress', () => {
  const checksummed = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';

  it('accepts a checksummed address and an all-lowercase one, returning the checksum', () => {
    expect(checkAddress(checksummed, 'address')).toEqual({ ok: true, address: checksummed });
    expect(checkAddress(checksummed.toLowerCase(), 'address')).toEqual({ ok: true, address: checksummed });
  });

  it.each([
    ['', 'address_invalid'],
    ['0x90F79bf6EB2c4f870365E785982E1f101E93b90', 'address_invalid'],
    ['90F79bf6EB2c4f870365E785982E1f101E93b906', 'address_invalid'],
    ['0X90F79bf6EB2c4f870365E785982E1f101E93b906', 'address_invalid'],
    ['0x90F79bf6EB2c4f870365E785982E1f101E93b90g', 'address_invalid'],
    [` ${checksummed}`, 'address_invalid'],
    ['0x90f79bf6EB2c4f870365E785982E1f101E93b906', 'address_checksum'],
    [checksummed.toUpperCase().replace('0X', '0x'), 'address_checksum'],
    [zeroAddress, 'address_zero'],
  ])('refuses %j with %s', (value, code) => {
    const result = checkAddress(value, 'address');
    expect(result.ok ? 'ok' : result.code).toBe(code);
  });

  it('decides exactly like viem strict isAddress on random case mutations', () => {
    for (let i = 0; i < 2000; i++) {
      const hex = randomBytes(20).toString('hex');
      const mutated = `0x${[...hex].map((c) => (Math.random() < 0.5 ? c.toUpperCase() : c)).join('')}`;
      const ours = checkAddress(mutated, 'address');
      expect(ours.ok).toBe(isAddress(mutated, { strict: true }));
    }
  });

  it('names the field in its messages', () => {
    const result = checkAddress('nope', 'destination');
    expect(!result.ok && result.message).toMatch(/^destination must be/);
  });
});
