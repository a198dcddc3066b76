/**
 * `prisma generate` without the native schema engine (it cannot be downloaded here, and
 * generate does not use it): the CLI only checks that the path it is given exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function prismaGenerate(root: string = join(__dirname, '..'), log: (message: string) => void = console.log): void {
  const placeholder = join(root, '.data', 'prisma-schema-engine-placeholder');
  if (!existsSync(placeholder)) {
    mkdirSync(join(root, '.data'), { recursive: true });
    writeFileSync(placeholder, 'not an engine: prisma generate only checks that this path exists\n');
  }
  log('generating the Prisma client (generated/prisma)');
  execFileSync(
    process.execPath,
    [require.resolve('prisma/build/index.js'), 'generate', '--schema', join(root, 'prisma', 'schema.prisma')],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? placeholder,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
      },
    },
  );
}

if (require.main === module) prismaGenerate();
