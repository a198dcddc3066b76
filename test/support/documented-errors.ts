/**
 * Every error an integration test receives from the API must be documented: its code listed in the OpenAPI
 * document for that operation and status (api/openapi/error-codes.ts). The harness checks each response, so a
 * route that starts answering a new code fails the first test that meets it, naming where to document it.
 */
import { errorCodesOf, NO_SUCH_ROUTE, type ErrorCodes } from '../../api/openapi/error-codes';
import type { Operation } from '../../api/openapi/operation';
import { OPERATIONS } from '../../api/openapi/operations';

const matchers = OPERATIONS.map((operation) => ({
  operation,
  pattern: new RegExp(`^${operation.path.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`),
}));

/** The operation a request reaches, or undefined when no route has that method and path. */
export function operationFor(method: string, path: string): Operation | undefined {
  const pathname = new URL(path, 'http://api.invalid').pathname;
  return matchers.find(({ operation, pattern }) => operation.method === method.toLowerCase() && pattern.test(pathname))?.operation;
}

/** Throws when `body` is an API error whose code the document does not list for this request's operation and status. */
export function assertDocumentedError(method: string, path: string, status: number, body: unknown): void {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  if (status < 400 || typeof code !== 'string') return;
  const operation = operationFor(method, path);
  const documented: ErrorCodes = operation ? errorCodesOf(operation) : NO_SUCH_ROUTE;
  if (documented[status]?.includes(code)) return;
  const where = operation ? `operation ${operation.operationId} (its resource folder's operations.ts)` : 'a path no operation has';
  throw new Error(
    `${method} ${path} answered ${status} \`${code}\`, which the OpenAPI document does not list for ${where}: ` +
      `it lists ${JSON.stringify(documented)}. Document the code (the operation's \`codes\`) or stop answering it.`,
  );
}
