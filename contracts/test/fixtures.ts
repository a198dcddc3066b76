/**
 * The test-only contracts in this folder (RejectEth, NoReturnToken, FalseReturnToken, GasPriceOracleStub, SanctionsOracleStub and the gas references
 * in BatchReferences.sol), compiled on demand with the same compiler and settings as the real contracts
 * (contracts/compile.ts). They are never deployed outside tests and benchmarks, so they have no committed
 * artifacts: compiling them where they are used keeps them fresh by construction (about 3 s, once per process).
 */
import type { Abi, Hex } from 'viem';
import { compileContracts } from '../compile';

export type TestContractName =
  | 'RejectEth'
  | 'NoReturnToken'
  | 'FalseReturnToken'
  | 'GasliteDropReference'
  | 'DisperseReference'
  | 'BareTransferFromLoop'
  | 'GasPriceOracleStub'
  | 'SanctionsOracleStub';

export interface TestContract {
  abi: Abi;
  bytecode: Hex;
  /** The runtime code, for anvil_setCode at a fixed address (a predeploy). */
  deployedBytecode: Hex;
}

let compiled: Map<string, TestContract> | undefined;

export function testContract(name: TestContractName): TestContract {
  compiled ??= new Map(
    compileContracts(__dirname).contracts.map(({ artifact }) => [
      artifact.contractName,
      { abi: artifact.abi as Abi, bytecode: artifact.bytecode, deployedBytecode: artifact.deployedBytecode },
    ]),
  );
  const contract = compiled.get(name);
  if (!contract) throw new Error(`contracts/test has no contract ${name}`);
  return contract;
}
