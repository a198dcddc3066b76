/**
 * docker-compose.yml cannot run on the development machine (no Docker engine), so its
 * wiring is checked by reading it: services referenced exist, commands point at files that
 * exist, and the engine's containers get the settings lib/config.ts reads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig, networkRegistryFromEnv } from '../lib/config';

const root = join(__dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      command?: string[];
      entrypoint?: string[];
      depends_on?: Record<string, { condition: string }>;
      environment?: Record<string, string>;
      ports?: string[];
    }
  >;
};

describe('docker-compose.yml', () => {
  const services = compose.services;

  it('has the whole engine: Temporal server and UI, PostgreSQL, two anvil chains, worker, API', () => {
    expect(Object.keys(services).sort()).toEqual([
      'anvil',
      'anvil-l2',
      'api',
      'postgres',
      'setup',
      'temporal',
      'temporal-namespace',
      'temporal-schema',
      'temporal-ui',
      'worker',
    ]);
  });

  it("runs Temporal's server image after its schema job, not the deprecated auto-setup image", () => {
    const images = Object.values(services).map((service) => service.image ?? '');
    expect(images.filter((image) => image.includes('auto-setup'))).toEqual([]);
    expect(services.temporal!.image).toMatch(/^temporalio\/server:/);
    expect(services.temporal!.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    const schema = (services['temporal-schema']!.command ?? []).join('\n');
    expect(schema).toMatch(/temporal-sql-tool --plugin postgres12 --ep postgres -p 5432 -u payouts/);
    expect(schema).toMatch(/update-schema -d \/etc\/temporal\/schema\/postgresql\/v12\/\$\$schema\/versioned/);
    for (const name of ['worker', 'api']) {
      expect(services[name]!.depends_on).toMatchObject({ 'temporal-namespace': { condition: 'service_completed_successfully' } });
    }
  });

  it('fails closed: the image defaults to production, and only this anvil stack says development', () => {
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toMatch(/^ENV NODE_ENV=production /m);
    for (const name of ['setup', 'worker', 'api']) expect(services[name]!.environment!.NODE_ENV).toBe('development');
    // Why it must: production refuses the anvil chains this file runs on.
    expect(() => loadConfig({ ...services.worker!.environment!, NODE_ENV: 'production' })).toThrow(/local development chain/);
  });

  it('depends only on services it defines, with valid conditions', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect({ name, dependency, exists: dependency in services }).toEqual({ name, dependency, exists: true });
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy') expect(services[dependency]!).toHaveProperty('healthcheck');
      }
    }
  });

  it('runs project files that exist', () => {
    for (const service of Object.values(services).filter((s) => s.build)) {
      const file = service.command!.find((part) => part.endsWith('.ts'))!;
      expect(existsSync(join(root, file))).toBe(true);
    }
    expect(existsSync(join(root, 'Dockerfile'))).toBe(true);
  });

  it('builds with a Dockerfile whose RUN and CMD steps name project files that exist', () => {
    const steps = readFileSync(join(root, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((line) => /^(RUN|CMD)\b/.test(line));
    const files = steps.flatMap((line) => line.match(/[\w./-]+\.(?:ts|js)\b/g) ?? []);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect({ file, exists: existsSync(join(root, file)) }).toEqual({ file, exists: true });
  });

  it('gives the engine containers every setting they need, pointing at compose services', () => {
    for (const name of ['setup', 'worker', 'api']) {
      const env = services[name]!.environment!;
      expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
      const registry = networkRegistryFromEnv(env);
      expect(registry.network('local').rpcUrls).toEqual(['http://anvil:8545']);
      expect(registry.network('local-l2').rpcUrls).toEqual(['http://anvil-l2:8545']);
    }
    expect(services.api!.environment!.API_HOST).toBe('0.0.0.0');
  });

  it('gives the two chains the chain ids the network registry expects', () => {
    const registry = networkRegistryFromEnv({});
    expect(services.anvil!.entrypoint ?? []).toEqual(expect.arrayContaining(['--chain-id', String(registry.network('local').chainId)]));
    expect((services['anvil-l2'] as { entrypoint?: string[] }).entrypoint).toEqual(
      expect.arrayContaining([String(registry.network('local-l2').chainId)]),
    );
  });
});
