/**
 * The committed artifacts in contracts/artifacts/ must be what the sources compile to, so a source
 * (or compiler setting) change without `npm run contracts:build` fails here. One solc-js compile of
 * the whole folder, shared by all cases: about a second.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS_DIR, CONTRACTS_DIR, compileContracts, sha256Hex, type CompileResult, type ContractArtifact } from './compile';
import { testUsdcAbi, testUsdcBytecode } from './artifacts/TestUSDC';

const REBUILD = 'stale artifact: run `npm run contracts:build` and commit contracts/artifacts/';

let fresh: CompileResult;

beforeAll(() => {
  fresh = compileContracts();
});

function committed(contractName: string): ContractArtifact {
  const file = path.join(ARTIFACTS_DIR, `${contractName}.json`);
  if (!existsSync(file)) throw new Error(`${file} is missing; ${REBUILD}`);
  return JSON.parse(readFileSync(file, 'utf8')) as ContractArtifact;
}

describe('contract artifacts', () => {
  test('every compiled contract has a committed artifact that matches a fresh compilation', () => {
    expect(fresh.contracts.map((c) => c.artifact.contractName)).toContain('TestUSDC');
    for (const { sourceFile, artifact } of fresh.contracts) {
      const saved = committed(artifact.contractName);
      const source = readFileSync(path.join(CONTRACTS_DIR, sourceFile));
      // Name the likely cause before the long bytecode diff.
      if (saved.sourceSha256 !== sha256Hex(source)) throw new Error(`${sourceFile} changed since its artifact was built; ${REBUILD}`);
      if (saved.compiler.version !== artifact.compiler.version) {
        throw new Error(
          `the installed solc is ${artifact.compiler.version}, the artifact was built with ${saved.compiler.version}; ${REBUILD}`,
        );
      }
      expect(saved.compiler).toEqual(artifact.compiler);
      expect(saved.abi).toEqual(artifact.abi);
      expect(saved.bytecode).toBe(artifact.bytecode);
      expect(saved.deployedBytecode).toBe(artifact.deployedBytecode);
      expect(Object.keys(saved)).toEqual(['contractName', 'abi', 'bytecode', 'deployedBytecode', 'compiler', 'sourceSha256']);
    }
  });

  test('the TypeScript module exports the same abi and bytecode as the JSON artifact', () => {
    const saved = committed('TestUSDC');
    expect(testUsdcAbi).toEqual(saved.abi);
    expect(testUsdcBytecode).toBe(saved.bytecode);
    expect(testUsdcBytecode).toMatch(/^0x[0-9a-f]+$/);
  });

  test('the token keeps its ERC-20 surface, mint and blocklist', () => {
    const { abi } = committed('TestUSDC');
    const functions = (abi as { type: string; name?: string }[]).filter((item) => item.type === 'function').map((item) => item.name);
    for (const name of [
      'name',
      'symbol',
      'decimals',
      'totalSupply',
      'balanceOf',
      'allowance',
      'transfer',
      'transferFrom',
      'approve',
      'mint',
      'setBlocked',
      'isBlocked',
      'owner',
    ]) {
      expect(functions).toContain(name);
    }
  });
});
