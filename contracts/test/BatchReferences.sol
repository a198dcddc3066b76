// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// Gas references for bench/batch-gas.ts only: the algorithms of two public batch payers, rewritten here so
/// that they run on the same chain, token and compiler as BatchTransfer and the comparison is like for like.
/// Neither is meant to be used for payouts (no return-value checks, no error that names the failed item).

/// @title GasliteDropReference
/// @notice GasliteDrop's ERC-20 and ETH airdrops (github.com/PopPunkLLC/gaslite-core, src/GasliteDrop.sol):
/// pull the total into this contract with one transferFrom, then transfer() to each recipient from a
/// preformatted calldata buffer in scratch memory; send ETH with a bare call per recipient. Return values
/// are not checked, msg.value is not compared with the amounts, and any failure reverts with no data.
contract GasliteDropReference {
    function airdropERC20(address token, address[] calldata recipients, uint256[] calldata amounts, uint256 total) external payable {
        assembly {
            if iszero(eq(recipients.length, amounts.length)) { revert(0, 0) }
            // transferFrom(msg.sender, this, total)
            mstore(0x00, shl(224, 0x23b872dd))
            mstore(0x04, caller())
            mstore(0x24, address())
            mstore(0x44, total)
            if iszero(call(gas(), token, 0, 0x00, 0x64, 0, 0)) { revert(0, 0) }
            // transfer(to, amount) for each item; only the two arguments change
            mstore(0x00, shl(224, 0xa9059cbb))
            let item := recipients.offset
            let end := add(item, shl(5, recipients.length))
            let toAmount := sub(amounts.offset, item)
            for {} lt(item, end) { item := add(item, 0x20) } {
                mstore(0x04, calldataload(item))
                mstore(0x24, calldataload(add(item, toAmount)))
                if iszero(call(gas(), token, 0, 0x00, 0x44, 0, 0)) { revert(0, 0) }
            }
        }
    }

    function airdropETH(address[] calldata recipients, uint256[] calldata amounts) external payable {
        assembly {
            if iszero(eq(recipients.length, amounts.length)) { revert(0, 0) }
            let item := recipients.offset
            let end := add(item, shl(5, recipients.length))
            let toAmount := sub(amounts.offset, item)
            for {} lt(item, end) { item := add(item, 0x20) } {
                if iszero(call(gas(), calldataload(item), calldataload(add(item, toAmount)), 0, 0, 0, 0)) { revert(0, 0) }
            }
        }
    }
}

/// @title BareTransferFromLoop
/// @notice GasliteDrop's loop with BatchTransfer's semantics and none of its checks: transferFrom(msg.sender,
/// to, amount) per item straight from the payer (no custody), no return-value check, no total, no error
/// naming the item. The floor against which BatchTransfer's own per-item overhead is measured.
contract BareTransferFromLoop {
    function pay(address token, address[] calldata recipients, uint256[] calldata amounts) external {
        assembly {
            if iszero(eq(recipients.length, amounts.length)) { revert(0, 0) }
            mstore(0x00, shl(224, 0x23b872dd))
            mstore(0x04, caller())
            let item := recipients.offset
            let end := add(item, shl(5, recipients.length))
            let toAmount := sub(amounts.offset, item)
            for {} lt(item, end) { item := add(item, 0x20) } {
                mstore(0x24, calldataload(item))
                mstore(0x44, calldataload(add(item, toAmount)))
                if iszero(call(gas(), token, 0, 0x00, 0x64, 0, 0)) { revert(0, 0) }
            }
            mstore(0x40, 0x80) // restore the free memory pointer (nothing was allocated before) and the zero slot
            mstore(0x60, 0)
        }
    }
}

interface IERC20Like {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// @title DisperseReference
/// @notice Disperse.app's algorithms (etherscan 0xD152f549545093347A162Dce210e7293f1452150, Solidity 0.4.25)
/// in plain Solidity 0.8: disperseEther (transfer() with its 2,300 gas stipend, leftover refunded),
/// disperseToken (pull the total, then transfer each) and disperseTokenSimple (transferFrom for each).
contract DisperseReference {
    function disperseEther(address[] calldata recipients, uint256[] calldata values) external payable {
        for (uint256 i = 0; i < recipients.length; i++) payable(recipients[i]).transfer(values[i]);
        uint256 balance = address(this).balance;
        if (balance > 0) payable(msg.sender).transfer(balance);
    }

    function disperseToken(IERC20Like token, address[] calldata recipients, uint256[] calldata values) external {
        uint256 total = 0;
        for (uint256 i = 0; i < recipients.length; i++) total += values[i];
        require(token.transferFrom(msg.sender, address(this), total));
        for (uint256 i = 0; i < recipients.length; i++) require(token.transfer(recipients[i], values[i]));
    }

    function disperseTokenSimple(IERC20Like token, address[] calldata recipients, uint256[] calldata values) external {
        for (uint256 i = 0; i < recipients.length; i++) require(token.transferFrom(msg.sender, recipients[i], values[i]));
    }
}
