-- A transfer the node refused (intrinsic gas, block gas limit, fee cap): why, as the node said it. Its nonce is
-- then filled with a cancellation, and its owner fails with this reason once the cancellation is final.
ALTER TABLE chain_transactions ADD COLUMN refused_reason TEXT;
