/**
 * What a stopped stack may have left behind: processes still running from its folder, and ports
 * still bound. The fresh-clone smoke test and the dev-stack tests check both after a stop.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface LeftoverProcess {
  pid: number;
  command: string;
}

/**
 * Processes (other than this one) whose working directory is inside `dir` or whose command line names a
 * path inside it: every server the stack starts does one or the other. Linux only (reads /proc).
 */
export function processesUsing(dir: string): LeftoverProcess[] {
  const root = path.resolve(dir);
  const inside = (candidate: string) => candidate === root || candidate.startsWith(root + path.sep);
  const found: LeftoverProcess[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length === 0) continue; // a zombie, or a kernel thread
      const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      if (inside(cwd) || argv.some((arg) => arg.includes(root))) found.push({ pid, command: argv.join(' ').slice(0, 200) });
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

/** The ports of `ports` that something still listens on at 127.0.0.1 (we cannot bind them). */
export async function boundPorts(ports: readonly number[]): Promise<number[]> {
  const bound: number[] = [];
  for (const port of ports) if (!(await canBind(port))) bound.push(port);
  return bound;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
