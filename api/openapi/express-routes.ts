/**
 * The routes an express app really serves, read from its router stack, so the contract test
 * can compare them with the document without any request or database.
 */
import type { Express } from 'express';

export interface AppRoute {
  method: string;
  /** Express form, e.g. `/v1/payouts/:id`. */
  path: string;
}

/** The parts of express 5's (router 2's) Layer and Route this walk reads. */
interface Layer {
  rawPath?: unknown;
  slash?: boolean;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function mountPath(layer: Layer): string {
  if (layer.slash || layer.rawPath === undefined || layer.rawPath === '/') return '';
  if (typeof layer.rawPath !== 'string')
    throw new Error(`a router is mounted at a pattern (${String(layer.rawPath)}); mount it at a plain path`);
  return layer.rawPath.replace(/\/$/, '');
}

function walk(stack: Layer[], prefix: string, found: AppRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      if (typeof layer.route.path !== 'string')
        throw new Error(`route ${String(layer.route.path)} is not a plain path; it cannot be documented`);
      for (const [method, handled] of Object.entries(layer.route.methods)) {
        // `_all` is app.all(): every method, which the document cannot list.
        if (handled) found.push({ method: method === '_all' ? 'all' : method, path: prefix + layer.route.path });
      }
    } else if (Array.isArray(layer.handle?.stack)) {
      walk(layer.handle.stack, prefix + mountPath(layer), found);
    }
  }
}

export function appRoutes(app: Express): AppRoute[] {
  const found: AppRoute[] = [];
  walk((app.router as unknown as { stack: Layer[] }).stack, '', found);
  return found;
}
