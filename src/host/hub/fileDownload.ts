// One file from the Hub onto disk, checked: the bytes go to `<name>.part`, a piece at a time into
// the hash the Hub publishes for the file (sha256 for LFS files, git's blob id for the others),
// and only a complete file whose hash matches is renamed to its name. A `.part` left by a broken
// connection, a cancel or a closed window is picked up where it stopped with an HTTP Range
// request (its bytes are hashed again first); one whose hash turns out wrong is deleted.
// Pure: no `vscode`.
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import type { HubClient, HubFile } from './hubClient';
import { HubError } from './hubError';

export interface FileDownloadOptions {
  signal?: AbortSignal;
  /** Bytes received (negative when a server makes the download start over). */
  onBytes?: (delta: number) => void;
  /** Requests in all for a file whose connection breaks or whose server is busy (default 3). */
  attempts?: number;
  /** Wait before the second request; doubled for each later one (default 1 s). */
  retryDelayMs?: number;
}

export function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1)} MB`;
}

/** The hash the Hub publishes for a file, fed from the start. */
class Checksum {
  private hash!: Hash;

  constructor(private readonly file: HubFile) {
    this.reset();
  }

  reset(): void {
    // git hashes a blob with its header: sha1('blob <size>\0' + content).
    this.hash = this.file.sha256 ? createHash('sha256') : createHash('sha1').update(`blob ${this.file.size}\0`);
  }

  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  /** Undefined when the bytes match; otherwise what was expected and what came. */
  mismatch(): { expected: string; actual: string; algorithm: string } | undefined {
    const actual = this.hash.digest('hex');
    const expected = (this.file.sha256 ?? this.file.blobId)!;
    return actual === expected ? undefined : { expected, actual, algorithm: this.file.sha256 ? 'sha256' : 'git blob id' };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(new HubError('cancelled', 'The download was cancelled.', ''));
    }
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort, { once: true });
  });
}

function diskError(e: unknown, file: string): HubError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why = code === 'ENOSPC' ? 'the disk is full' : (code ?? (e instanceof Error ? e.message : String(e)));
  return new HubError('disk', `Could not write ${file} (${why}). Free some space and run Model Lens: Download Model… again.`, '');
}

/** Feeds the bytes already in `part` into the checksum. */
async function hashExisting(part: string, sum: Checksum): Promise<void> {
  for await (const chunk of fs.createReadStream(part)) sum.update(chunk as Buffer);
}

/** The first byte a 206 answer starts at, from its Content-Range (`bytes 100-199/200`). */
function rangeStart(contentRange: string | undefined): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(contentRange?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Downloads `file` of `repo` at `commit` to `dest`, resuming `dest.part` if there is one. When it
 * returns, `dest` holds the file with the published hash; when it throws, `dest` does not exist and
 * `dest.part` holds verified-so-far bytes only if the error is resumable.
 */
export async function downloadFile(
  client: HubClient,
  repo: string,
  commit: string,
  file: HubFile,
  dest: string,
  options: FileDownloadOptions = {},
): Promise<void> {
  const { signal, onBytes = () => undefined, attempts = 3, retryDelayMs = 1000 } = options;
  if (fs.existsSync(dest)) {
    // Renamed only after its hash matched, in an earlier run of this same download.
    onBytes(file.size);
    return;
  }
  if (!file.sha256 && !file.blobId) {
    throw new HubError(
      'bad-answer',
      `${client.origin} publishes no hash for ${file.path} of ${repo}, and Model Lens uses no file it cannot check. Is modelLens.hub.endpoint (or HF_ENDPOINT) a Hugging Face Hub or a mirror of it?`,
      client.origin,
    );
  }
  const part = `${dest}.part`;
  const sum = new Checksum(file);
  let offset = fs.existsSync(part) ? fs.statSync(part).size : 0;
  if (offset > file.size) {
    fs.rmSync(part, { force: true });
    offset = 0;
  }
  if (offset > 0) {
    await hashExisting(part, sum);
    onBytes(offset);
  }
  const startOver = () => {
    fs.writeFileSync(part, new Uint8Array(0));
    sum.reset();
    onBytes(-offset);
    offset = 0;
  };

  let lastHost = new URL(client.endpoint).host;
  for (let attempt = 1; offset < file.size; attempt++) {
    try {
      const answer = await client.getFile(repo, commit, file.path, offset, signal);
      lastHost = answer.host;
      if (answer.status === 416 || (answer.status === 206 && rangeStart(answer.contentRange) !== offset)) {
        // Nothing past a part that is short, or another range than asked for: the part cannot be trusted to continue.
        answer.cancel();
        startOver();
        throw new HubError(
          answer.status === 416 ? 'truncated' : 'http',
          `${answer.host} answered ${answer.status === 416 ? 'that it has nothing' : 'with another range'} of ${file.path} past the bytes already here; starting it over.`,
          client.origin,
          true,
        );
      }
      // A server that ignores Range sends the whole file again.
      if (answer.status === 200 && offset > 0) startOver();
      await appendBody(answer.chunks, part, offset === 0, file, (n, chunk) => {
        offset += n;
        sum.update(chunk);
        onBytes(n);
        if (offset > file.size)
          throw new HubError(
            'integrity',
            `${answer.host} sent more than the ${file.size} bytes ${client.origin} lists for ${file.path} of ${repo}: the download was discarded. Try again; if it happens again, the server serves other files than it lists.`,
            client.origin,
          );
      });
      if (offset < file.size)
        throw new HubError(
          'truncated',
          `The download of ${file.path} from ${answer.host} ended at ${megabytes(offset)} of ${megabytes(file.size)}.`,
          client.origin,
          true,
        );
    } catch (e) {
      const error = e instanceof HubError ? e : diskError(e, part);
      if (error.kind === 'integrity') fs.rmSync(part, { force: true });
      if (!error.resumable || attempt >= attempts) {
        if (error.kind === 'truncated') {
          throw new HubError(
            'truncated',
            `${error.message.replace(/\.$/, '')}: ${megabytes(offset)} of ${megabytes(file.size)} arrived after ${attempt} tries. What arrived is kept: run Model Lens: Download Model… again to resume.`,
            client.origin,
            true,
          );
        }
        throw error;
      }
      await sleep(retryDelayMs * 2 ** (attempt - 1), signal);
    }
  }
  const mismatch = sum.mismatch();
  if (mismatch) {
    fs.rmSync(part, { force: true });
    throw new HubError(
      'integrity',
      `${file.path} of ${repo} from ${lastHost} does not match the ${mismatch.algorithm} ${client.origin} publishes for it (expected ${mismatch.expected.slice(0, 12)}…, got ${mismatch.actual.slice(0, 12)}…): it was deleted. Try again; if it happens again, the server or a proxy on the way serves other content.`,
      client.origin,
    );
  }
  try {
    fs.renameSync(part, dest);
  } catch (e) {
    throw diskError(e, dest);
  }
}

/** Writes a body's pieces to the end of `part` (or over it, from the start), calling `took` for each. */
async function appendBody(
  chunks: AsyncIterable<Uint8Array>,
  part: string,
  fromStart: boolean,
  file: HubFile,
  took: (n: number, chunk: Uint8Array) => void,
): Promise<void> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(part, fromStart ? 'w' : 'a');
  } catch (e) {
    throw diskError(e, part);
  }
  try {
    for await (const chunk of chunks) {
      try {
        await handle.write(chunk);
      } catch (e) {
        throw diskError(e, file.path);
      }
      took(chunk.length, chunk);
    }
  } finally {
    await handle.close();
  }
}
