-- What each control (limits, payee book, anomaly flags, destination checks) decided for a payout or a mass payout at
-- creation: the rule, the policy version and the decision, as a JSON list (domain/controls.ts ControlDecision).
ALTER TABLE payouts ADD COLUMN controls JSONB NOT NULL DEFAULT '[]';
ALTER TABLE mass_payouts ADD COLUMN controls JSONB NOT NULL DEFAULT '[]';
