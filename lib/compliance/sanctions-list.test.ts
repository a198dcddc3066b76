import { readFileSync } from 'node:fs';
import { parseSanctionsList, SanctionsListError, SHIPPED_SNAPSHOT } from './sanctions-list';

it('reads the one-address-per-line format, with comments and the stated date, lowercased and de-duplicated', () => {
  const list = parseSanctionsList(
    '# a list\n# Snapshot date: 2024-09-27\n0x8589427373D6D84E98730D7795D8f6f8731FDA16\n\n0x8589427373d6d84e98730d7795d8f6f8731fda16\n0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1\r\n',
  );
  expect(list).toEqual({
    addresses: ['0x01e2919679362dfbc9ee1644ba9c6da6d6245bb1', '0x8589427373d6d84e98730d7795d8f6f8731fda16'],
    publishedOn: '2024-09-27',
  });
});

it("reads the mirrors' JSON array", () => {
  expect(parseSanctionsList('["0x8589427373D6D84E98730D7795D8f6f8731FDA16"]').addresses).toEqual([
    '0x8589427373d6d84e98730d7795d8f6f8731fda16',
  ]);
});

it('refuses a file with a bad entry, naming where, and an empty one', () => {
  expect(() => parseSanctionsList('0x8589427373D6D84E98730D7795D8f6f8731FDA16\n0x8589427373D6D84E98730D7795D8f6f8731FDA\n')).toThrow(
    /^line 2: "0x8589427373D6D84E98730D7795D8f6f8731FDA" is not a 0x-prefixed 20-byte address$/,
  );
  expect(() => parseSanctionsList('["0xnope"]')).toThrow(/^entry 0:/);
  expect(() => parseSanctionsList('# nothing\n')).toThrow(SanctionsListError);
  expect(() => parseSanctionsList('[1,')).toThrow(/looks like JSON but does not parse/);
});

it('the shipped snapshot names its source and date and parses', () => {
  const text = readFileSync(SHIPPED_SNAPSHOT, 'utf8');
  expect(text).toMatch(/^# Source: .*0xB10C\/ofac-sanctioned-digital-currency-addresses/m);
  const list = parseSanctionsList(text);
  expect(list.publishedOn).toBe('2024-09-27');
  // Tornado Cash's router, listed since 2022.
  expect(list.addresses).toContain('0xd90e2f925da726b50c4ed8d0fb90ad053324f31b');
  expect(list.addresses.length).toBeGreaterThan(150);
});
