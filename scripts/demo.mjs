// Opens Model Lens in a real VS Code on the sample workspace: the desktop VS Code when a
// `code` command is on PATH, otherwise the project's code-server (see scripts/setup.sh),
// served on 127.0.0.1 for any browser. Ctrl+C stops it.
//
// code-server gives whoever opens it an editor and a terminal as the user who started it, and any
// local user can reach 127.0.0.1: it asks for a password, new and random on each run and printed
// here only. Workspace trust stays on, as in a real VS Code.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const DEMO = path.join(ROOT, '.cache/demo');
const WORKSPACE = path.join(DEMO, 'workspace');
const CODE_SERVER_STAMP = path.join(ROOT, '.cache/code-server/installed');
const CODE_SERVER_ENTRY = path.join(ROOT, '.cache/code-server/node_modules/code-server/out/node/entry.js');
const VSIX = path.join(ROOT, 'dist/model-lens.vsix');
const FIRST_PORT = 18080;
const HOW_TO = ['Open sample.ts, select a few lines, then F1 → "Model Lens: Explain Attention".', 'Hover any word to see its probability.'];

function run(command, args) {
  console.log(`$ ${[command, ...args].join(' ')}`);
  execFileSync(command, args, { cwd: ROOT, stdio: 'inherit' });
}

/** A desktop VS Code prints a bare version first; code-server's `code` prints "4.x ... with Code". */
function hasDesktopCode() {
  const result = spawnSync('code', ['--version'], { encoding: 'utf8' });
  return !result.error && result.status === 0 && /^\d+\.\d+\.\d+$/.test(result.stdout.split('\n')[0].trim());
}

/** A fresh copy each run keeps the tracked sample files (which the e2e tests rely on) untouched. */
function prepareWorkspace() {
  fs.rmSync(WORKSPACE, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'test/e2e/workspace'), WORKSPACE, { recursive: true });
}

/**
 * Earlier demos turned workspace trust off in the demo profile: turn it back on. VS Code may write
 * this file as JSON with comments; one that JSON.parse cannot read is left alone.
 */
function keepWorkspaceTrust(file) {
  let settings;
  try {
    settings = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return;
  }
  if (settings['security.workspace.trust.enabled'] !== false) return;
  delete settings['security.workspace.trust.enabled'];
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePortFrom(port) {
  while (!(await portIsFree(port))) port++;
  return port;
}

function logTail(file) {
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
}

async function waitUntilAnswering(url, logFile) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`code-server did not answer ${url} within 60 s:\n${logTail(logFile)}`);
}

async function serveWithCodeServer() {
  if (!fs.existsSync(CODE_SERVER_STAMP)) run('bash', ['scripts/setup.sh']);
  run('npm', ['run', 'package']);

  const dirs = { user: path.join(DEMO, 'user'), extensions: path.join(DEMO, 'extensions') };
  const settings = path.join(dirs.user, 'User/settings.json');
  if (!fs.existsSync(settings)) {
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    const quiet = {
      'workbench.startupEditor': 'none',
      'git.openRepositoryInParentFolders': 'never', // the demo workspace sits inside this repository
    };
    fs.writeFileSync(settings, JSON.stringify(quiet, null, 2));
  }
  keepWorkspaceTrust(settings);
  // code-server writes its config under XDG_CONFIG_HOME (~/.config otherwise): keep it in the demo folder.
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(DEMO, 'xdg/config'),
    XDG_DATA_HOME: path.join(DEMO, 'xdg/data'),
  };
  const profile = ['--user-data-dir', dirs.user, '--extensions-dir', dirs.extensions];
  execFileSync(process.execPath, [CODE_SERVER_ENTRY, ...profile, '--install-extension', VSIX, '--force'], {
    env,
    stdio: 'inherit',
  });

  const port = await freePortFrom(FIRST_PORT);
  const logFile = path.join(DEMO, 'code-server.log');
  const log = fs.openSync(logFile, 'w');
  const password = randomBytes(18).toString('base64url');
  const args = [
    CODE_SERVER_ENTRY,
    ...profile,
    '--auth',
    'password',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    WORKSPACE,
  ];
  // Its own process group, so that stopping it also stops the extension host and the rest. The
  // password travels in the environment, where only this user can read it (code-server takes it from
  // there or from its config file only), and code-server deletes it before starting the editor's processes.
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env: { ...env, PASSWORD: password } });
  fs.closeSync(log);

  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the whole group is gone already
    }
  };
  let stopping = false;
  let exitCode = 0;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    console.log('\nStopping code-server…');
    signalGroup('SIGTERM');
    setTimeout(() => signalGroup('SIGKILL'), 5000).unref();
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`code-server stopped unexpectedly (${code ?? signal}):\n${logTail(logFile)}`);
    signalGroup('SIGKILL'); // the leader is gone; so must be the rest of its group
    process.exit(stopping ? exitCode : 1);
  });

  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(WORKSPACE)}`;
  try {
    await waitUntilAnswering(`http://127.0.0.1:${port}/healthz`, logFile);
  } catch (error) {
    console.error(error.message);
    stop(1);
    return;
  }
  console.log(`\nModel Lens is running in VS Code at\n\n    ${url}\n\nPassword (new on each run): ${password}\n`);
  console.log('  VS Code then asks whether you trust the sample folder; Model Lens works either way.');
  for (const line of HOW_TO) console.log(`  ${line}`);
  console.log(`\n(code-server log: ${path.relative(ROOT, logFile)}; Ctrl+C stops it)`);
}

prepareWorkspace();
if (hasDesktopCode()) {
  run('npm', ['run', 'build']);
  run('code', [`--extensionDevelopmentPath=${ROOT}`, WORKSPACE]);
  for (const line of HOW_TO) console.log(line);
} else {
  await serveWithCodeServer();
}
