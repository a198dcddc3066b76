// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title RejectEth
/// @notice Test only: a recipient that refuses every ETH transfer, like a contract without a receive function
/// or one that must not hold ETH. A batch that pays it must revert as a whole and name its index.
contract RejectEth {
    error NoEthAccepted();

    receive() external payable {
        revert NoEthAccepted();
    }
}
