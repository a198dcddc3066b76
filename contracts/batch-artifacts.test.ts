/**
 * BatchTransfer's committed artifacts: the TypeScript module matches the JSON (whose freshness against the
 * source is checked for every contract by contracts/artifacts.test.ts), the ABI is the surface the engine
 * calls, and the runtime code really is stateless: no storage writes, no delegatecall, no selfdestruct.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS_DIR, compileContracts, type ContractArtifact } from './compile';
import { batchTransferAbi, batchTransferBytecode } from './artifacts/BatchTransfer';

function committed(): ContractArtifact {
  return JSON.parse(readFileSync(path.join(ARTIFACTS_DIR, 'BatchTransfer.json'), 'utf8')) as ContractArtifact;
}

type AbiItem = { type: string; name?: string; inputs?: { type: string; name: string }[]; stateMutability?: string };

/** name(type name, ...) of every ABI item of `type`. */
function signatures(type: string): string[] {
  return (committed().abi as AbiItem[])
    .filter((item) => item.type === type)
    .map((item) => `${item.name}(${(item.inputs ?? []).map((input) => `${input.type} ${input.name}`).join(', ')})`);
}

/** The opcodes of runtime code, skipping PUSH data and the trailing CBOR metadata (its length is the last 2 bytes). */
function opcodes(code: string): number[] {
  const bytes = Buffer.from(code.slice(2), 'hex');
  const end = bytes.length - 2 - bytes.readUInt16BE(bytes.length - 2);
  const ops: number[] = [];
  for (let i = 0; i < end; i++) {
    const op = bytes[i] as number;
    ops.push(op);
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f; // PUSH1..PUSH32
  }
  return ops;
}

describe('BatchTransfer artifact', () => {
  test('the TypeScript module exports the same abi and bytecode as the JSON artifact', () => {
    const saved = committed();
    expect(batchTransferAbi).toEqual(saved.abi);
    expect(batchTransferBytecode).toBe(saved.bytecode);
    expect(batchTransferBytecode).toMatch(/^0x[0-9a-f]+$/);
  });

  test('matches a fresh compilation with the same settings as TestUSDC', () => {
    const fresh = compileContracts().contracts.find((c) => c.artifact.contractName === 'BatchTransfer');
    expect(fresh?.sourceFile).toBe('BatchTransfer.sol');
    expect(fresh?.artifact).toEqual(committed());
    expect(committed().compiler).toEqual({ version: expect.any(String), optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun' });
  });

  test('exposes payEth, payToken, their errors and one summary event', () => {
    expect(signatures('function')).toEqual([
      'payEth(address[] recipients, uint256[] amounts)',
      'payToken(address token, address[] recipients, uint256[] amounts)',
    ]);
    const mutability = Object.fromEntries(
      (committed().abi as AbiItem[]).filter((i) => i.type === 'function').map((i) => [i.name, i.stateMutability]),
    );
    expect(mutability).toEqual({ payEth: 'payable', payToken: 'nonpayable' });
    expect(signatures('error').sort()).toEqual([
      'EmptyBatch()',
      'EthTransferFailed(uint256 index, address recipient)',
      'LengthMismatch(uint256 recipients, uint256 amounts)',
      'NotAContract(address token)',
      'TokenTransferFailed(uint256 index, address recipient, bytes reason)',
      'ValueMismatch(uint256 value, uint256 total)',
    ]);
    expect(signatures('event')).toEqual(['BatchPaid(address payer, address token, uint256 recipients, uint256 total)']);
    // No constructor, no receive or fallback: it cannot be configured, and it refuses stray ETH.
    expect((committed().abi as AbiItem[]).map((item) => item.type).sort()).toEqual([
      ...Array(6).fill('error'),
      'event',
      'function',
      'function',
    ]);
  });

  test('the runtime code has no SSTORE, TSTORE, DELEGATECALL, CALLCODE or SELFDESTRUCT', () => {
    const ops = opcodes(committed().deployedBytecode);
    expect(ops.length).toBeGreaterThan(100);
    expect(ops).toContain(0xf1); // CALL: it does pay
    for (const [name, op] of Object.entries({ SSTORE: 0x55, TSTORE: 0x5d, DELEGATECALL: 0xf4, CALLCODE: 0xf2, SELFDESTRUCT: 0xff })) {
      expect({ name, present: ops.includes(op) }).toEqual({ name, present: false });
    }
  });
});
