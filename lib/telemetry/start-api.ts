/** Imported first by api/server.ts: tracing must patch http, express and pg before they are loaded. */
import { startTracing } from './tracing';

export const tracing = startTracing('api');
