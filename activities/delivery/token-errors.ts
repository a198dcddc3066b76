/**
 * The errors a token transfer can revert with, so a simulated revert is reported by name, not as a selector: ERC-20
 * itself, ERC-6093's standard ERC-20 errors (OpenZeppelin 5 and most tokens since), and the dev network's test
 * token's blocklist error. One list, for single payouts and mass payouts alike. Tokens that revert with a string
 * (Circle's FiatToken: "Blacklistable: account is blacklisted") need nothing here: viem decodes Error(string).
 */
import { erc20Abi, parseAbi } from 'viem';

export const tokenErrorsAbi = [
  ...erc20Abi,
  ...parseAbi([
    // ERC-6093, ERC-20 section.
    'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
    'error ERC20InvalidSender(address sender)',
    'error ERC20InvalidReceiver(address receiver)',
    'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
    'error ERC20InvalidApprover(address approver)',
    'error ERC20InvalidSpender(address spender)',
    // contracts/TestUSDC.sol, the local preset's USDC.
    'error AccountBlocked(address account)',
  ]),
] as const;
