/**
 * Validates a document against the OpenAPI 3.1 specification's own JSON Schemas with
 * @seriousme/openapi-schema-validator. That package is ESM only and jest runs this project as
 * CommonJS, so it runs in a child node process.
 */
import { spawnSync } from 'node:child_process';

const SCRIPT = `
import { Validator } from '@seriousme/openapi-schema-validator';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const validator = new Validator();
const result = await validator.validate(JSON.parse(input));
process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? [] }));
`;

export interface DocumentValidation {
  valid: boolean;
  version: string;
  errors: unknown[];
}

export function validateOpenApiDocument(document: object): DocumentValidation {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    cwd: __dirname,
    input: JSON.stringify(document),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (child.status !== 0) throw new Error(`the OpenAPI validator did not run: ${child.stderr || child.error?.message}`);
  return JSON.parse(child.stdout) as DocumentValidation;
}
