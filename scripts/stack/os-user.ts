/**
 * Running a server as another OS user (PostgreSQL refuses to run as root):
 * look the user up, and make sure it can reach its data directory.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** getpwnam without a native module: /etc/passwd covers the system users we need. */
export function lookupUser(name: string): OsUser | undefined {
  let passwd: string;
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

/**
 * Create `dir` owned by `user` (mode 0700, as PostgreSQL demands), and give
 * every ancestor the search (x) bit it lacks, so e.g. /root/... or a 0700
 * checkout still works. Only x is added: directory listings stay private.
 */
export function prepareDirFor(dir: string, user: OsUser, log: (msg: string) => void): void {
  const absolute = path.resolve(dir);
  fs.mkdirSync(absolute, { recursive: true });

  for (let ancestor = path.dirname(absolute); ; ancestor = path.dirname(ancestor)) {
    const stat = fs.statSync(ancestor);
    if (!canSearch(stat, user)) {
      fs.chmodSync(ancestor, (stat.mode & 0o7777) | 0o001);
      log(`made ${ancestor} traversable (o+x) for the ${user.name} user`);
    }
    if (ancestor === path.dirname(ancestor)) break;
  }

  const stat = fs.statSync(absolute);
  if (stat.uid !== user.uid) chownRecursive(absolute, user);
  fs.chmodSync(absolute, 0o700);
}

function canSearch(stat: fs.Stats, user: OsUser): boolean {
  if (stat.uid === user.uid) return (stat.mode & 0o100) !== 0;
  if (stat.gid === user.gid) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/** A data dir left by a run as another user (e.g. root before this fix) must change hands entirely. */
function chownRecursive(target: string, user: OsUser): void {
  fs.chownSync(target, user.uid, user.gid);
  if (!fs.lstatSync(target).isDirectory()) return;
  for (const entry of fs.readdirSync(target)) chownRecursive(path.join(target, entry), user);
}
