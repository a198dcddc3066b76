/** The settings `npm start` reads its ports from, with the README's defaults, and free ones for a second stack. */
import { freePort } from './process';

export const STACK_PORTS = {
  API_PORT: 3000,
  TEMPORAL_PORT: 7233,
  TEMPORAL_UI_PORT: 8233,
  PGLITE_PORT: 5433,
  ANVIL_PORT: 8545,
  ANVIL_L2_PORT: 8546,
  WORKER_METRICS_PORT: 9464,
  TEMPORAL_METRICS_PORT: 9465,
  PROMETHEUS_PORT: 9090,
} as const;
export type StackPortSetting = keyof typeof STACK_PORTS;
export type StackPorts = Record<StackPortSetting, number>;

export const stackPort = (name: StackPortSetting, env: NodeJS.ProcessEnv = process.env): number => Number(env[name] ?? STACK_PORTS[name]);

/** A distinct free port for every setting, none of them a default: a stack beside a developer's own. */
export async function freeStackPorts(): Promise<StackPorts> {
  const defaults = new Set<number>(Object.values(STACK_PORTS));
  const chosen = new Set<number>();
  const names = Object.keys(STACK_PORTS) as StackPortSetting[];
  while (chosen.size < names.length) {
    const port = await freePort();
    if (!defaults.has(port)) chosen.add(port);
  }
  const values = [...chosen];
  return Object.fromEntries(names.map((name, index) => [name, values[index]!])) as StackPorts;
}
