/** Imported first by api/http/server.ts: tracing must patch http, express and pg before they are loaded. */
import { startTracing } from './tracing';

export const tracing = startTracing('api');
