// node:os for the web bundles: the cores a browser reports, and no home folder.
const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency || 1;

export function availableParallelism(): number {
  return cores;
}

export function cpus(): unknown[] {
  return Array.from({ length: cores }, () => ({}));
}

/** '~' in a model path means nothing on the web: it stays the root. */
export function homedir(): string {
  return '/';
}
