// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title BatchTransfer
/// @notice Pays many recipients in one transaction, in ETH or in one ERC-20 token. All or nothing: if any
/// single payment fails, the whole batch reverts and the error names the failing item's index, so the
/// caller (which simulates first) can take that item out and send the rest.
/// @dev Stateless on purpose: no owner, no storage, no custody. Tokens move straight from the payer to each
/// recipient through transferFrom (the payer approves this contract once); ETH arrives as msg.value and all
/// of it leaves within the same call. Nothing is emitted per recipient (the token's Transfer events are the
/// per-item record); one BatchPaid event summarises each batch.
///
/// The loops are inline assembly, the technique GasliteDrop uses: read each recipient and amount straight
/// from calldata and call with a preformatted buffer, with no bounds checks or ABI encoding per item.
/// Unlike GasliteDrop this contract checks the token's return value, requires msg.value to match, and
/// reports which item failed.
///
/// Reentrancy is harmless: there is no state to corrupt, a reentrant payEth must bring (and spend exactly)
/// its own msg.value, and a reentrant payToken can only move its caller's own tokens.
contract BatchTransfer {
    /// @notice `payer` paid `recipients` items totalling `total`; `token` is address(0) for ETH.
    event BatchPaid(address indexed payer, address indexed token, uint256 recipients, uint256 total);

    /// @notice The batch has no items.
    error EmptyBatch();
    /// @notice `recipients` and `amounts` must have the same length.
    error LengthMismatch(uint256 recipients, uint256 amounts);
    /// @notice msg.value must equal the sum of the amounts exactly: nothing is refunded, nothing is kept.
    error ValueMismatch(uint256 value, uint256 total);
    /// @notice Sending amounts[index] to `recipient` failed (it reverted or ran out of gas).
    error EthTransferFailed(uint256 index, address recipient);
    /// @notice transferFrom(payer, recipient, amounts[index]) reverted or returned false. `reason` is the
    /// token's return data: its revert error (e.g. AccountBlocked, or ERC20InsufficientBalance, which is
    /// the payer's problem, not the recipient's), or the 32-byte `false` it returned.
    error TokenTransferFailed(uint256 index, address recipient, bytes reason);
    /// @notice `token` has no code, so a call to it would "succeed" without moving anything.
    error NotAContract(address token);

    /// @notice Sends amounts[i] wei to recipients[i] for every i. msg.value must be exactly the sum.
    /// @dev Each recipient gets all remaining gas (a smart-contract wallet needs more than a 2,300 stipend),
    /// so a recipient that burns gas makes the batch fail; simulation shows that before anything is sent.
    function payEth(address[] calldata recipients, uint256[] calldata amounts) external payable {
        uint256 count = _count(recipients.length, amounts.length);
        (uint256 first, uint256 end, uint256 toAmount) = _layout(recipients, amounts);
        (uint256 reached, uint256 total) = _sendEach(first, end, toAmount);
        if (reached != end) {
            // A send also fails when msg.value runs out: then the caller is wrong, not the recipient.
            uint256 expected = _sum(amounts);
            if (expected != msg.value) revert ValueMismatch(msg.value, expected);
            uint256 index = (reached - first) / 32;
            revert EthTransferFailed(index, recipients[index]);
        }
        // Compared with msg.value, not the balance, so ETH forced into this contract is never paid out.
        if (total != msg.value) revert ValueMismatch(msg.value, total);
        emit BatchPaid(msg.sender, address(0), count, total);
    }

    /// @notice Moves amounts[i] of `token` from the caller to recipients[i] for every i, with
    /// transferFrom(msg.sender, recipients[i], amounts[i]); the caller must have approved this contract for
    /// the total. Tokens that return no value (USDT style) are supported.
    function payToken(address token, address[] calldata recipients, uint256[] calldata amounts) external {
        uint256 count = _count(recipients.length, amounts.length);
        // Checked once here so that the loop may accept empty return data as success.
        if (token.code.length == 0) revert NotAContract(token);
        (uint256 first, uint256 end, uint256 toAmount) = _layout(recipients, amounts);
        (uint256 reached, uint256 total) = _transferFromEach(token, first, end, toAmount);
        if (reached != end) {
            uint256 index = (reached - first) / 32;
            revert TokenTransferFailed(index, recipients[index], _returnData());
        }
        emit BatchPaid(msg.sender, token, count, total);
    }

    function _count(uint256 recipients, uint256 amounts) private pure returns (uint256) {
        if (recipients != amounts) revert LengthMismatch(recipients, amounts);
        if (recipients == 0) revert EmptyBatch();
        return recipients;
    }

    /// @dev Where the items lie in calldata: recipients[i] at first + 32 * i (up to `end`), and amounts[i]
    /// `toAmount` bytes further on. The loops walk one pointer over both arrays (the ABI decoder has already
    /// checked that both arrays lie within the calldata). Items are read raw, without Solidity's check that
    /// an address has no bits above 160: ABI encoders (viem) never set them, and CALL ignores them.
    function _layout(
        address[] calldata recipients,
        uint256[] calldata amounts
    ) private pure returns (uint256 first, uint256 end, uint256 toAmount) {
        assembly {
            first := recipients.offset
            end := add(first, shl(5, recipients.length))
            toAmount := sub(amounts.offset, first)
        }
    }

    /// @dev Sends each amount until one send fails. Returns where it got to (`end` when every send
    /// succeeded, else the failed item) and the total sent. The total cannot wrap: every amount in it was
    /// actually sent, and all the ETH in existence is far below 2**256 wei.
    function _sendEach(uint256 item, uint256 end, uint256 toAmount) private returns (uint256 reached, uint256 total) {
        assembly ("memory-safe") {
            for {} lt(item, end) { item := add(item, 0x20) } {
                let amount := calldataload(add(item, toAmount))
                total := add(total, amount)
                // No input and no output buffer: a recipient's return data costs us nothing.
                if iszero(call(gas(), calldataload(item), amount, 0, 0, 0, 0)) { break }
            }
            reached := item
        }
    }

    /// @dev Calls transferFrom(msg.sender, recipients[i], amounts[i]) until one fails: reverts, returns false,
    /// or returns something that is not a bool. Returns where it got to (`end` when every call succeeded,
    /// else the failed item) and the total moved.
    function _transferFromEach(
        address token,
        uint256 item,
        uint256 end,
        uint256 toAmount
    ) private returns (uint256 reached, uint256 total) {
        // Not marked memory-safe: it writes over 0x40..0x7f for the duration of the loop.
        assembly {
            // The call's input is built once at 0x00..0x64 and each item rewrites only `to` and `amount`:
            //   0x00 selector | 0x04 from = msg.sender | 0x24 to | 0x44 amount
            // This runs over the free memory pointer (0x40) and the zero slot (0x60), both restored below.
            let freeMemory := mload(0x40)
            mstore(0x00, shl(224, 0x23b872dd)) // bytes4(keccak256("transferFrom(address,address,uint256)"))
            mstore(0x04, caller())
            for {} lt(item, end) { item := add(item, 0x20) } {
                let amount := calldataload(add(item, toAmount))
                mstore(0x24, calldataload(item))
                mstore(0x44, amount)
                total := add(total, amount)
                // A token is untrusted: it could claim to move more than exists. Like Solidity's checked
                // addition, Panic(0x11) if the total does not fit in 256 bits.
                if lt(total, amount) {
                    mstore(0x00, shl(224, 0x4e487b71)) // bytes4(keccak256("Panic(uint256)"))
                    mstore(0x04, 0x11)
                    revert(0x00, 0x24)
                }
                // The first 32 bytes of return data land on the `to` slot, which the next item rewrites.
                // (A separate statement: Yul evaluates arguments right to left, so inlined into the check
                // below the call would run after the return data had been read.)
                let ok := call(gas(), token, 0, 0x00, 0x64, 0x24, 0x20)
                // Success: no revert, and either exactly `true` (at least 32 bytes, first word 1) or no
                // return data at all (USDT style; payToken checked that the token has code).
                if iszero(and(ok, or(and(eq(mload(0x24), 1), gt(returndatasize(), 0x1f)), iszero(returndatasize())))) { break }
            }
            reached := item
            mstore(0x40, freeMemory)
            mstore(0x60, 0)
        }
    }

    function _sum(uint256[] calldata amounts) private pure returns (uint256 total) {
        for (uint256 i = 0; i < amounts.length; ++i) total += amounts[i];
    }

    /// @dev The return data of the last call (the failed transferFrom: nothing has been called since).
    function _returnData() private pure returns (bytes memory data) {
        assembly ("memory-safe") {
            data := mload(0x40)
            mstore(data, returndatasize())
            returndatacopy(add(data, 0x20), 0, returndatasize())
            mstore(0x40, add(add(data, 0x20), and(add(returndatasize(), 0x1f), not(0x1f))))
        }
    }
}
