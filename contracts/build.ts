/**
 * Builds the committed contract artifacts: `npm run contracts:build` (tsx contracts/build.ts).
 *
 * For each contract in contracts/*.sol it writes
 *   contracts/artifacts/<Name>.json  { contractName, abi, bytecode, deployedBytecode, compiler, sourceSha256 }
 *   contracts/artifacts/<Name>.ts    `<name>Abi` (as const) and `<name>Bytecode`
 * The artifacts are committed, so nothing at run time needs a compiler; contracts/artifacts.test.ts
 * fails when they no longer match the sources.
 *
 * `--check` writes nothing and exits 1 if any artifact is missing or stale.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS_DIR, CONTRACTS_DIR, artifactJson, artifactModule, compileContracts, compilerVersion } from './compile';

/**
 * Formats with prettier's defaults when prettier is installed. Not with .prettierrc.json: contracts/artifacts/
 * is in .prettierignore, and the committed modules were generated with the defaults (TestUSDC.ts predates
 * .prettierrc.json), so a rebuild must reproduce them byte for byte.
 */
async function formatTs(source: string, filepath: string): Promise<string> {
  let prettier: typeof import('prettier');
  try {
    prettier = await import('prettier');
  } catch {
    return source;
  }
  return prettier.format(source, { filepath });
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const started = Date.now();
  console.log(`contracts: compiling ${path.relative(process.cwd(), CONTRACTS_DIR) || '.'}/*.sol with solc ${compilerVersion()}`);
  const { contracts, warnings } = compileContracts();
  for (const warning of warnings) console.warn(warning);
  console.log(`contracts: compiled ${contracts.length} contract(s) in ${Date.now() - started} ms`);

  if (!check) mkdirSync(ARTIFACTS_DIR, { recursive: true });
  let stale = 0;
  for (const compiled of contracts) {
    const { artifact } = compiled;
    const outputs: [string, string][] = [[path.join(ARTIFACTS_DIR, `${artifact.contractName}.json`), artifactJson(artifact)]];
    const tsFile = path.join(ARTIFACTS_DIR, `${artifact.contractName}.ts`);
    outputs.push([tsFile, await formatTs(artifactModule(compiled), tsFile)]);

    for (const [file, content] of outputs) {
      const relative = path.relative(process.cwd(), file);
      const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (current === content) {
        console.log(`contracts:   ${relative} up to date`);
      } else if (check) {
        stale += 1;
        console.error(`contracts:   ${relative} is ${current === undefined ? 'missing' : 'stale'}`);
      } else {
        writeFileSync(file, content);
        console.log(`contracts:   wrote ${relative} (${content.length} bytes)`);
      }
    }
    const codeBytes = (artifact.deployedBytecode.length - 2) / 2;
    console.log(`contracts:   ${artifact.contractName}: ${codeBytes} bytes of runtime code, sha256(source) ${artifact.sourceSha256}`);
  }
  if (stale > 0) {
    console.error(`contracts: ${stale} artifact file(s) out of date; run \`npm run contracts:build\``);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
