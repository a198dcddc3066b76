/**
 * Compiles the Solidity sources in contracts/ with solc-js (the compiler bundled in the `solc`
 * npm package; never a downloaded one) through its standard JSON interface. Shared by
 * contracts/build.ts, which writes the committed artifacts, and contracts/artifacts.test.ts,
 * which checks that those artifacts still match the sources.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import solc from 'solc';

export const CONTRACTS_DIR = __dirname;
export const ARTIFACTS_DIR = path.join(CONTRACTS_DIR, 'artifacts');

/**
 * Compiler settings. Changing any of them changes the bytecode, so the artifacts must be rebuilt.
 * evmVersion is pinned (rather than left to the compiler's default, which moves with each solc
 * release) to one that anvil and every current EVM chain run.
 */
export const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
} as const;

export type Hex = `0x${string}`;

/** One committed artifact, contracts/artifacts/<contractName>.json. Key order here is the file's. */
export interface ContractArtifact {
  contractName: string;
  abi: readonly unknown[];
  bytecode: Hex;
  deployedBytecode: Hex;
  compiler: {
    version: string;
    optimizer: { enabled: boolean; runs: number };
    evmVersion: string;
  };
  sourceSha256: string;
}

export interface CompiledContract {
  /** The .sol file it came from, relative to contracts/. */
  sourceFile: string;
  artifact: ContractArtifact;
}

export interface CompileResult {
  /** Sorted by contract name. */
  contracts: CompiledContract[];
  /** Compiler warnings, formatted; errors throw instead. */
  warnings: string[];
}

interface SolcMessage {
  severity: 'error' | 'warning' | 'info';
  formattedMessage?: string;
  message: string;
}

interface SolcOutput {
  errors?: SolcMessage[];
  contracts?: Record<
    string,
    Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
}

/** The .sol files directly in `dir`, by name, sorted so compilation order is stable. */
export function listSources(dir: string = CONTRACTS_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sol'))
    .sort();
}

export function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function compilerVersion(): string {
  return solc.version() as string;
}

/**
 * Compiles every .sol file in `dir` (source unit names are the bare file names, so the output,
 * including the metadata hash at the end of the bytecode, does not depend on where the checkout is).
 * Throws with the compiler's messages on any error.
 */
export function compileContracts(dir: string = CONTRACTS_DIR): CompileResult {
  const files = listSources(dir);
  if (files.length === 0) throw new Error(`no .sol files in ${dir}`);
  const contents = new Map(files.map((file) => [file, readFileSync(path.join(dir, file), 'utf8')]));

  const input = {
    language: 'Solidity',
    sources: Object.fromEntries([...contents].map(([file, content]) => [file, { content }])),
    settings: {
      optimizer: COMPILER_SETTINGS.optimizer,
      evmVersion: COMPILER_SETTINGS.evmVersion,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  // The sources are self-contained; refuse imports rather than read arbitrary files.
  const findImports = (importPath: string) => ({ error: `imports are not supported here (${importPath})` });
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }) as string) as SolcOutput;

  const messages = output.errors ?? [];
  const errors = messages.filter((m) => m.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc failed:\n${errors.map((m) => m.formattedMessage ?? m.message).join('\n')}`);
  }
  const warnings = messages.filter((m) => m.severity === 'warning').map((m) => m.formattedMessage ?? m.message);

  const version = compilerVersion();
  const contracts: CompiledContract[] = [];
  for (const file of files) {
    const content = contents.get(file) as string;
    for (const [contractName, contract] of Object.entries(output.contracts?.[file] ?? {})) {
      const artifact: ContractArtifact = {
        contractName,
        abi: contract.abi,
        bytecode: `0x${contract.evm.bytecode.object}`,
        deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
        compiler: {
          version,
          optimizer: { enabled: COMPILER_SETTINGS.optimizer.enabled, runs: COMPILER_SETTINGS.optimizer.runs },
          evmVersion: COMPILER_SETTINGS.evmVersion,
        },
        sourceSha256: sha256Hex(content),
      };
      contracts.push({ sourceFile: file, artifact });
    }
  }
  contracts.sort((a, b) => a.artifact.contractName.localeCompare(b.artifact.contractName));
  return { contracts, warnings };
}

/** "TestUSDC" -> "testUsdc": the prefix of the names the generated .ts module exports. */
export function exportPrefix(contractName: string): string {
  const words = contractName.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g) ?? [contractName];
  return words
    .map((word, i) => {
      const lower = word.toLowerCase();
      return i === 0 ? lower : lower.charAt(0).toUpperCase() + lower.slice(1);
    })
    .join('');
}

/** The JSON artifact text: two-space indentation, trailing newline. */
export function artifactJson(artifact: ContractArtifact): string {
  return `${JSON.stringify(artifact, null, 2)}\n`;
}

/** The generated TypeScript module: the ABI `as const` (so viem infers types) and the bytecode. */
export function artifactModule({ sourceFile, artifact }: CompiledContract): string {
  const prefix = exportPrefix(artifact.contractName);
  return [
    `// Generated by contracts/build.ts from contracts/${sourceFile} with solc ${artifact.compiler.version}.`,
    '// Do not edit: change the source and run `npm run contracts:build`.',
    '',
    `export const ${prefix}Abi = ${JSON.stringify(artifact.abi, null, 2)} as const;`,
    '',
    `export const ${prefix}Bytecode: \`0x\${string}\` = '${artifact.bytecode}';`,
    '',
  ].join('\n');
}
