// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title SanctionsOracleStub
/// @notice Test only: the interface of Chainalysis' on-chain sanctions oracle (`isSanctioned(address)`), with a list its
/// deployer keeps, so a test can list an address between a payout's creation and its signing.
contract SanctionsOracleStub {
    address private immutable _owner;
    mapping(address => bool) private _sanctioned;

    error OnlyOwner();

    constructor() {
        _owner = msg.sender;
    }

    function isSanctioned(address addr) external view returns (bool) {
        return _sanctioned[addr];
    }

    function setSanctioned(address addr, bool sanctioned) external {
        if (msg.sender != _owner) revert OnlyOwner();
        _sanctioned[addr] = sanctioned;
    }
}
