/**
 * Where docs/runbook.md says what to do about a state that needs a person. The workflows' current details and the
 * alert rules (config/prometheus/alerts.yml) link the same sections; test/alert-rules.it.test.ts checks they exist.
 */
export const RUNBOOK_FILE = 'docs/runbook.md';

/** The section for an attention reason (`insufficient_funds`, `fee_ceiling`, ...). */
export const attentionRunbook = (reason: string): string => `${RUNBOOK_FILE}#attention-${reason}`;
