/**
 * RECORD_HISTORIES=1 saves a workflow run's history to workflows/histories/ for workflows/replay.test.ts, in proto3
 * JSON (the format the Temporal CLI and UI export and historyFromJSON reads). Off otherwise: tests only read them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export async function recordHistory(temporal: Client, workflowId: string, name: string, runId?: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  writeFileSync(
    join(__dirname, '..', '..', 'workflows', 'histories', `${name}.json`),
    JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n',
  );
}
