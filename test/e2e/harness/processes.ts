import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

// Everything started here is registered so that even a crashed or interrupted test run
// leaves no code-server (and its extension host, pty host, file watcher) behind.
const groups = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function cleanUpNow(): void {
  for (const child of groups) signalGroup(child, 'SIGKILL');
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
}

process.once('exit', cleanUpNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    cleanUpNow();
    process.kill(process.pid, signal);
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

/**
 * Starts a command as the leader of a new process group, so that stopping it also stops
 * every process it spawned. Output goes to `logFile`.
 */
export function spawnGroup(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  groups.add(child);
  return child;
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM to the group, SIGKILL to whatever is left after `graceMs`. */
export async function killGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (!hasExited(child)) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
  }
  // Children that outlive the leader still belong to its group.
  signalGroup(child, 'SIGKILL');
  groups.delete(child);
}

export function registerTempDir(dir: string): void {
  tempDirs.add(dir);
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
