// node:path for the web bundles (esbuild.js aliases it here): POSIX paths, which is what the
// in-memory file system (memoryFs.ts) and the extension's virtual model paths use. Only the
// functions the engine and the host call, each behaving as Node's path.posix does.

export const sep = '/';
export const delimiter = ':';

/** `p` with `.` and `..` resolved and repeated slashes joined; '' is '.'. */
export function normalize(p: string): string {
  if (p === '') return '.';
  const absolute = p.startsWith('/');
  const trailing = p.endsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else out.push(part);
  }
  let joined = out.join('/');
  if (!joined) return absolute ? '/' : trailing ? './' : '.';
  if (trailing) joined += '/';
  return absolute ? `/${joined}` : joined;
}

export function join(...parts: string[]): string {
  const kept = parts.filter((p) => p !== '');
  return kept.length ? normalize(kept.join('/')) : '.';
}

export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

/** The working directory of the web bundles is the root. */
export function resolve(...parts: string[]): string {
  let resolved = '';
  for (let i = parts.length - 1; i >= 0 && !resolved.startsWith('/'); i--) {
    if (parts[i]) resolved = resolved ? `${parts[i]}/${resolved}` : parts[i];
  }
  const out = normalize(`/${resolved}`);
  return out.length > 1 && out.endsWith('/') ? out.slice(0, -1) : out;
}

export function dirname(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  // The slash before the last name, skipping slashes at the end (Node's own algorithm).
  let end = -1;
  let trailing = true;
  for (let i = p.length - 1; i >= 1; i--) {
    if (p[i] === '/') {
      if (!trailing) {
        end = i;
        break;
      }
    } else trailing = false;
  }
  if (end === -1) return rooted ? '/' : '.';
  if (rooted && end === 1) return '//';
  return p.slice(0, end);
}

export function basename(p: string, ext?: string): string {
  let end = p.length;
  while (end > 0 && p[end - 1] === '/') end--;
  const base = p.slice(p.lastIndexOf('/', end - 1) + 1, end);
  return ext && base !== ext && base.endsWith(ext) ? base.slice(0, -ext.length) : base;
}

export function extname(p: string): string {
  const base = basename(p);
  const dot = base.lastIndexOf('.');
  return dot <= 0 || base === '..' ? '' : base.slice(dot);
}

export function relative(from: string, to: string): string {
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => '..'), ...b.slice(common)].join('/');
}

export const posix = { sep, delimiter, normalize, join, isAbsolute, resolve, dirname, basename, extname, relative };
