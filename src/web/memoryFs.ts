// node:fs for the web bundles (esbuild.js aliases it here): the synchronous calls the engine makes
// (grep "fs\." in src/engine), over files held in memory. The host reads a model's files through
// vscode.workspace.fs and hands them to the engine's Web Worker, which puts them here before the
// engine loads the model (src/web/modelFiles.ts); the engine then reads them as it reads a disk.
// A file may be known by its size only (the host's copy, for the engine's request deadlines, and
// files too large to read): stat answers, reading it fails saying so. Paths are POSIX, absolute.
import { basename, resolve } from './shims/path';

/** A file as the host hands it over: its bytes, or only its size. */
export interface MemoryFile {
  path: string;
  size: number;
  data?: Uint8Array;
}

interface Entry {
  size: number;
  data?: Uint8Array;
  mtimeMs: number;
}

const files = new Map<string, Entry>();

/** Adds (or replaces) files. */
export function putFiles(list: readonly MemoryFile[]): void {
  const now = Date.now();
  for (const f of list) files.set(resolve(f.path), { size: f.data?.length ?? f.size, data: f.data, mtimeMs: now });
}

/** Removes every file under `folder`. */
export function removeFolder(folder: string): void {
  const root = resolve(folder);
  for (const p of [...files.keys()]) if (p === root || p.startsWith(root === '/' ? '/' : `${root}/`)) files.delete(p);
}

/** Every file held, for tests and logs. */
export function listFiles(): string[] {
  return [...files.keys()].sort();
}

function noEntry(syscall: string, p: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, ${syscall} '${p}'`), { code: 'ENOENT', syscall, path: p, errno: -2 });
}

function isFolder(p: string): boolean {
  if (p === '/') return true;
  const prefix = `${p}/`;
  for (const key of files.keys()) if (key.startsWith(prefix)) return true;
  return false;
}

export interface Stats {
  size: number;
  mtimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

function stats(size: number, mtimeMs: number, file: boolean): Stats {
  return { size, mtimeMs, isFile: () => file, isDirectory: () => !file, isSymbolicLink: () => false };
}

export function existsSync(p: string): boolean {
  const at = resolve(p);
  return files.has(at) || isFolder(at);
}

export function statSync(p: string, options?: { throwIfNoEntry?: boolean }): Stats | undefined {
  const at = resolve(p);
  const entry = files.get(at);
  if (entry) return stats(entry.size, entry.mtimeMs, true);
  if (isFolder(at)) return stats(0, 0, false);
  if (options?.throwIfNoEntry === false) return undefined;
  throw noEntry('stat', p);
}

/** No links in memory: a path is its own real path, once it exists. */
export function realpathSync(p: string): string {
  if (!existsSync(p)) throw noEntry('realpath', p);
  return resolve(p);
}

export interface Dirent {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
}

export function readdirSync(p: string, options?: { withFileTypes?: boolean }): string[] | Dirent[] {
  const at = resolve(p);
  if (files.has(at)) throw Object.assign(new Error(`ENOTDIR: not a directory, scandir '${p}'`), { code: 'ENOTDIR' });
  if (!isFolder(at)) throw noEntry('scandir', p);
  const prefix = at === '/' ? '/' : `${at}/`;
  const names = new Set<string>();
  for (const key of files.keys()) if (key.startsWith(prefix)) names.add(key.slice(prefix.length).split('/')[0]);
  const sorted = [...names].sort();
  if (!options?.withFileTypes) return sorted;
  return sorted.map((name) => {
    const file = files.has(`${prefix}${name}`);
    return { name, isFile: () => file, isDirectory: () => !file };
  });
}

function bytesOf(p: string, syscall: string): Uint8Array {
  const at = resolve(p);
  const entry = files.get(at);
  if (!entry) {
    if (isFolder(at)) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, ${syscall} '${p}'`), { code: 'EISDIR' });
    throw noEntry(syscall, p);
  }
  if (!entry.data) {
    throw Object.assign(
      new Error(
        `${basename(p)} (${entry.size} bytes) was not read into memory: the web edition reads a model's files before loading it, up to the size limit.`,
      ),
      {
        code: 'ENODATA',
      },
    );
  }
  return entry.data;
}

export function readFileSync(p: string, encoding?: string | { encoding?: string }): Uint8Array | string {
  const data = bytesOf(p, 'open');
  const enc = typeof encoding === 'string' ? encoding : encoding?.encoding;
  if (enc) return new TextDecoder(enc === 'utf8' ? 'utf-8' : enc).decode(data);
  return data.slice();
}

const open = new Map<number, string>();
let nextFd = 3;

export function openSync(p: string, _flags?: string): number {
  bytesOf(p, 'open');
  const fd = nextFd++;
  open.set(fd, resolve(p));
  return fd;
}

export function readSync(fd: number, into: Uint8Array, offset: number, length: number, position: number): number {
  const p = open.get(fd);
  if (p === undefined) throw Object.assign(new Error('EBADF: bad file descriptor, read'), { code: 'EBADF' });
  const data = bytesOf(p, 'read');
  const n = Math.max(0, Math.min(length, data.length - position));
  into.set(data.subarray(position, position + n), offset);
  return n;
}

export function closeSync(fd: number): void {
  open.delete(fd);
}
