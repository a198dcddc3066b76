/**
 * Every npm script starts here, in plain Node with no dependency, so a fresh clone needs nothing run first:
 *   1. `npm install` when node_modules is missing or older than package.json / package-lock.json;
 *   2. the Prisma client (generated/prisma) when it is missing or older than prisma/schema.prisma;
 *   3. then the named command of node_modules/.bin, with the remaining arguments.
 *
 *   node scripts/run.js tsx scripts/dev-stack.ts     (what `npm start` is)
 *   node scripts/run.js --generate                   (regenerate the Prisma client now)
 *
 * One rule for every entry point: nothing imports generated/prisma unless it was started through this file.
 */
const { spawn, spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const log = (message) => console.error(`[setup] ${message}`);

const installStamp = path.join(root, 'node_modules', '.payout-engine-install');
const clientDir = path.join(root, 'generated', 'prisma');
const clientStamp = path.join(clientDir, '.schema-hash');

function hashOf(files) {
  const hash = createHash('sha256');
  for (const file of files) hash.update(fs.existsSync(file) ? fs.readFileSync(file) : `missing ${file}`);
  return hash.digest('hex');
}

const readStamp = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '');
const manifests = () => [path.join(root, 'package.json'), path.join(root, 'package-lock.json')];

/** True when the lockfile or package.json changed since node_modules was last installed (or it never was). */
function installIsStale() {
  if (!fs.existsSync(path.join(root, 'node_modules', '.bin'))) return true;
  if (readStamp(installStamp) === hashOf(manifests())) return false;
  // Installed by a plain `npm install` (no stamp): trust it while npm's own record is newer than the manifests.
  const record = path.join(root, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(record)) return true;
  const installedAt = fs.statSync(record).mtimeMs;
  return manifests().some((file) => fs.existsSync(file) && fs.statSync(file).mtimeMs > installedAt);
}

function npmInstall() {
  log('installing dependencies (npm install; first run on a fresh clone takes about a minute)');
  const started = Date.now();
  // npm_execpath is npm's own CLI when we run under `npm run`; fall back to npm on PATH.
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli ? [process.execPath, [npmCli]] : ['npm', []];
  const result = spawnSync(command, [...args, 'install', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    fail(
      `npm install failed (${result.error ? result.error.message : `exit ${result.status}`}).\n` +
        'Next step: fix the npm error above (registry access, disk space, Node >= 20), then run the command again.',
    );
  }
  fs.writeFileSync(installStamp, `${hashOf(manifests())}\n`);
  log(`dependencies installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

function schemaHash() {
  const versionOf = (name) => path.join(root, 'node_modules', name, 'package.json');
  return hashOf([path.join(root, 'prisma', 'schema.prisma'), versionOf('prisma'), versionOf('@prisma/client')]);
}

/**
 * `prisma generate` without the native schema engine (it cannot be downloaded here, and generate does
 * not use it): the CLI only checks that the path it is given exists.
 */
function prismaGenerate() {
  log('generating the Prisma client (generated/prisma)');
  const placeholder = path.join(root, '.data', 'prisma-schema-engine-placeholder');
  if (!fs.existsSync(placeholder)) {
    fs.mkdirSync(path.dirname(placeholder), { recursive: true });
    fs.writeFileSync(placeholder, 'not an engine: prisma generate only checks that this path exists\n');
  }
  const prismaCli = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
  const result = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', path.join(root, 'prisma', 'schema.prisma')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || placeholder,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  if (result.status !== 0) fail('prisma generate failed (see above). Next step: fix prisma/schema.prisma, then run the command again.');
  fs.writeFileSync(clientStamp, `${schemaHash()}\n`);
}

function clientIsStale() {
  return !fs.existsSync(path.join(clientDir, 'client.ts')) || readStamp(clientStamp) !== schemaHash();
}

function fail(message) {
  log(message);
  process.exit(1);
}

/**
 * How to run a node_modules/.bin command. `tsx <file>` runs as `node --import tsx <file>`: one process, where the tsx
 * CLI would add a launcher that SIGKILLs its child when it does not acknowledge a Ctrl-C within 30 ms.
 */
function commandOf(name, args) {
  if (name === 'tsx' && args.length > 0 && !args[0].startsWith('-')) {
    const { pathToFileURL } = require('node:url');
    return [process.execPath, ['--import', pathToFileURL(require.resolve('tsx', { paths: [root] })).href, ...args]];
  }
  const bin = path.join(root, 'node_modules', '.bin', name);
  if (!fs.existsSync(bin)) fail(`node_modules/.bin/${name} does not exist. Next step: check the command name in package.json.`);
  return [bin, args];
}

/** Runs a node_modules/.bin command and exits with its code; signals sent to us reach it too. */
function runBin(name, args) {
  const [command, commandArgs] = commandOf(name, args);
  const child = spawn(command, commandArgs, { stdio: 'inherit' });
  // A Ctrl-C in a terminal reaches the child directly as well; our entry points treat a repeated signal as one.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  child.on('error', (error) => fail(`could not run ${name}: ${error.message}`));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
}

function main() {
  const [first, ...rest] = process.argv.slice(2);
  if (installIsStale()) npmInstall();
  if (first === '--generate' || clientIsStale()) prismaGenerate();
  if (first && first !== '--generate') runBin(first, rest);
}

main();
