/** Imported first by worker.ts: tracing must patch http and pg before they are loaded. */
import { startTracing } from './tracing';

export const tracing = startTracing('worker');
