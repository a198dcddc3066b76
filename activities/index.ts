/** Builds the worker's activities from their dependencies (one object, so tests can build it too). */
import type { NetworkRegistry } from '../domain/networks';
import type { ChainClients } from '../lib/chain';
import type { Db } from '../lib/db';
import type { TransactionSigner } from '../lib/signer';
import { fundsActivities } from './funds';
import { readModelActivities } from './read-model';
import { transferActivities } from './transfer';
import type { PayoutActivities } from './types';

export interface ActivityDeps {
  db: Db;
  registry: NetworkRegistry;
  chains: ChainClients;
  signer: TransactionSigner;
}

export function createActivities(deps: ActivityDeps): PayoutActivities {
  return {
    ...readModelActivities(deps.db),
    ...fundsActivities({ ...deps, treasury: deps.signer.address }),
    ...transferActivities(deps),
  };
}
