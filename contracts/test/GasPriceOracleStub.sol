// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title GasPriceOracleStub
/// @notice Test only: OP-stack's GasPriceOracle interface (the predeploy at 0x420…0F), put on an anvil chain with
/// anvil_setCode. anvil has no L1 data fee of its own; this quotes a flat 0.01 ETH for any transaction, so a test can
/// tell exactly what the engine holds for it.
contract GasPriceOracleStub {
    function getL1Fee(bytes calldata) external pure returns (uint256) {
        return 0.01 ether;
    }
}
