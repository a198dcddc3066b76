import { privateKeyToAccount } from 'viem/accounts';
import { ANVIL_DEFAULT_DEPLOYER_KEY, ANVIL_DEFAULT_TOKEN_ADDRESS, predictTestTokenAddress } from './deploy';

describe('test token address', () => {
  test("anvil account #0's first deployment lands at the documented address", () => {
    expect(privateKeyToAccount(ANVIL_DEFAULT_DEPLOYER_KEY).address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(predictTestTokenAddress(ANVIL_DEFAULT_DEPLOYER_KEY)).toBe(ANVIL_DEFAULT_TOKEN_ADDRESS);
  });
});
