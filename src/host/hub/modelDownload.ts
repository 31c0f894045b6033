// A model from the Hub into a folder of its own under the extension's storage, whole or not at all.
// Its files are downloaded and checked into a staging folder (models/.partial/…), which is renamed
// into place in one step once every file matches its published hash; a model folder therefore
// never holds half a model. A download that stops on a broken connection, a busy server or a
// cancel keeps its staging folder, and the next download of the same model and commit resumes
// it; one that fails for good (a wrong hash, a missing or refused file) removes it.
//
//   <storage>/models/<org>--<name>/<variant>@<commit>/download.json   what was downloaded, from where
//   <storage>/models/<org>--<name>/<variant>@<commit>/<name>/         the model folder (modelPath)
//
// Pure: no `vscode`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadFile, megabytes } from './fileDownload';
import type { HubClient } from './hubClient';
import { HubError } from './hubError';
import { localPath, type ModelVariant } from './modelChoice';

export interface DownloadProgress {
  /** The file being downloaded, as the repository names it. */
  file: string;
  /** Bytes of the whole model here so far, including those resumed from an earlier run. */
  received: number;
  total: number;
}

export interface DownloadRequest {
  client: HubClient;
  repo: string;
  /** The revision asked for (a branch, tag or commit). */
  revision: string;
  /** The commit it named when listed: every file comes from it. */
  commit: string;
  variant: ModelVariant;
  /** The extension's global storage folder. */
  storage: string;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Requests per file before a broken connection is given up on (default 3). */
  attempts?: number;
  retryDelayMs?: number;
}

/** A model downloaded whole, as download.json records it. */
export interface DownloadedModel {
  repo: string;
  revision: string;
  commit: string;
  /** The Hub it came from. */
  endpoint: string;
  variant: { id: string; precision: string; layout: string; onnx: string; base: string };
  bytes: number;
  /** The model folder: what modelLens.modelPath is set to. */
  folder: string;
  downloadedAt: string;
}

const MANIFEST = 'download.json';
const LOCK = '.lock';
/** Room kept free beyond the model itself. */
const DISK_MARGIN = 64 * 1024 * 1024;

const modelsDir = (storage: string) => path.join(storage, 'models');
const repoSlug = (repo: string) => repo.replace('/', '--');
const containerName = (variant: ModelVariant, commit: string) => `${variant.id}@${commit.slice(0, 12)}`;

function paths(storage: string, repo: string, variant: ModelVariant, commit: string) {
  const container = path.join(modelsDir(storage), repoSlug(repo), containerName(variant, commit));
  const staging = path.join(modelsDir(storage), '.partial', `${repoSlug(repo)}--${containerName(variant, commit)}`);
  // The model folder is named after the repository: that is the name Model Lens shows for it.
  const name = repo.split('/')[1];
  return { container, staging, name, folder: path.join(container, name) };
}

function readManifest(container: string): DownloadedModel | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(container, MANIFEST), 'utf8')) as Partial<DownloadedModel> & { folderName?: unknown };
    if (typeof m.repo !== 'string' || typeof m.commit !== 'string' || typeof m.folderName !== 'string' || typeof m.variant?.id !== 'string') return undefined;
    const folder = path.join(container, path.basename(m.folderName));
    if (!fs.existsSync(folder)) return undefined;
    return {
      repo: m.repo,
      revision: String(m.revision ?? ''),
      commit: m.commit,
      endpoint: String(m.endpoint ?? ''),
      variant: {
        id: m.variant.id,
        precision: String(m.variant.precision ?? ''),
        layout: String(m.variant.layout ?? ''),
        onnx: String(m.variant.onnx ?? ''),
        base: String(m.variant.base ?? ''),
      },
      bytes: Number(m.bytes) || 0,
      folder,
      downloadedAt: String(m.downloadedAt ?? ''),
    };
  } catch {
    return undefined;
  }
}

/** Every model downloaded whole, newest first. */
export function listDownloadedModels(storage: string): DownloadedModel[] {
  const root = modelsDir(storage);
  if (!fs.existsSync(root)) return [];
  const found: DownloadedModel[] = [];
  for (const repo of fs.readdirSync(root, { withFileTypes: true })) {
    if (!repo.isDirectory() || repo.name.startsWith('.')) continue;
    for (const container of fs.readdirSync(path.join(root, repo.name), { withFileTypes: true })) {
      const model = container.isDirectory() && readManifest(path.join(root, repo.name, container.name));
      if (model) found.push(model);
    }
  }
  return found.sort((a, b) => b.downloadedAt.localeCompare(a.downloadedAt));
}

/** The model folder of this variant at this commit, if it was downloaded whole. */
export function downloadedFolder(storage: string, repo: string, variant: ModelVariant, commit: string): string | undefined {
  return readManifest(paths(storage, repo, variant, commit).container)?.folder;
}

/** Bytes of this download already in its staging folder, from an earlier run that stopped. */
export function partialBytes(storage: string, repo: string, variant: ModelVariant, commit: string): number {
  const { staging } = paths(storage, repo, variant, commit);
  let bytes = 0;
  const walk = (dir: string) => {
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name !== LOCK) bytes += fs.statSync(full).size;
    }
  };
  walk(staging);
  return bytes;
}

/** Removes what an earlier, stopped download of this variant left (any commit). */
export function discardPartial(storage: string, repo: string, variant: ModelVariant): void {
  const partial = path.join(modelsDir(storage), '.partial');
  const prefix = `${repoSlug(repo)}--${variant.id}@`;
  for (const name of fs.existsSync(partial) ? fs.readdirSync(partial) : []) {
    if (name.startsWith(prefix)) fs.rmSync(path.join(partial, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the staging folder for this process; another live process (another window) holding it is an error. */
function lock(staging: string, repo: string): () => void {
  const file = path.join(staging, LOCK);
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(file, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new HubError('busy', `${repo} is being downloaded already (in this or another VS Code window). Wait for that download to finish.`, '');
      }
      // Left by a process that is gone.
      fs.rmSync(file, { force: true });
    }
  }
}

async function checkFreeSpace(storage: string, needed: number, repo: string): Promise<void> {
  let free: number;
  try {
    const stats = await fs.promises.statfs(storage);
    free = stats.bavail * stats.bsize;
  } catch {
    return; // Not every file system says; the writes will fail clearly if it is full.
  }
  if (free < needed + DISK_MARGIN) {
    throw new HubError(
      'disk',
      `${repo} needs ${megabytes(needed)} more on the disk that holds ${storage}, which has ${megabytes(free)} free. Free some space and try again.`,
      '',
    );
  }
}

/**
 * Downloads a variant of a repository at a commit and returns it, or returns it at once if it was
 * downloaded before. Throws a HubError; a resumable one (or a cancel) keeps what arrived.
 */
export async function downloadModel(request: DownloadRequest): Promise<DownloadedModel> {
  const { client, repo, revision, commit, variant, storage, signal, onProgress } = request;
  const { container, staging, name, folder } = paths(storage, repo, variant, commit);
  const existing = readManifest(container);
  if (existing) return existing;

  fs.mkdirSync(modelsDir(storage), { recursive: true });
  await checkFreeSpace(storage, variant.bytes - partialBytes(storage, repo, variant, commit), repo);
  // A stopped download of an older commit cannot be resumed: its files may differ.
  const partial = path.join(modelsDir(storage), '.partial');
  for (const other of fs.existsSync(partial) ? fs.readdirSync(partial) : []) {
    if (other.startsWith(`${repoSlug(repo)}--${variant.id}@`) && path.join(partial, other) !== staging)
      fs.rmSync(path.join(partial, other), { recursive: true, force: true });
  }
  fs.mkdirSync(staging, { recursive: true });
  const unlock = lock(staging, repo);
  let received = 0;
  try {
    for (const file of variant.files) {
      const target = path.join(staging, name, ...localPath(variant, file).split('/'));
      // modelChoice keeps only safe paths; this holds whatever a caller passes.
      if (!target.startsWith(path.join(staging, name) + path.sep))
        throw new HubError('bad-answer', `${client.origin} lists a file outside the repository's folder (${file.path}).`, client.origin);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      onProgress?.({ file: file.path, received, total: variant.bytes });
      await downloadFile(client, repo, commit, file, target, {
        signal,
        attempts: request.attempts,
        retryDelayMs: request.retryDelayMs,
        onBytes: (delta) => {
          received += delta;
          onProgress?.({ file: file.path, received, total: variant.bytes });
        },
      });
    }
    const manifest = {
      repo,
      revision,
      commit,
      endpoint: client.endpoint,
      variant: { id: variant.id, precision: variant.precision, layout: variant.layout, onnx: variant.onnx, base: variant.base },
      bytes: variant.bytes,
      folderName: name,
      files: variant.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, blobId: f.blobId })),
      downloadedAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(staging, MANIFEST), JSON.stringify(manifest, null, 2));
    unlock();
    fs.mkdirSync(path.dirname(container), { recursive: true });
    try {
      // One rename: the model folder appears whole.
      fs.renameSync(staging, container);
    } catch (e) {
      // Another window finished the same model first: use its copy.
      const done = readManifest(container);
      if (!done) throw e;
      fs.rmSync(staging, { recursive: true, force: true });
      return done;
    }
    return readManifest(container) ?? { ...manifest, folder, variant: manifest.variant };
  } catch (e) {
    unlock();
    const error =
      e instanceof HubError ? e : new HubError('disk', `Could not save ${repo} under ${storage}: ${e instanceof Error ? e.message : String(e)}`, '');
    if (!error.resumable && error.kind !== 'cancelled' && error.kind !== 'busy') fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
