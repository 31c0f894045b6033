// A Hugging Face Hub on 127.0.0.1 serving model repositories made of the project's own files, as
// huggingface.co answers: GET /api/models/{repo}/revision/{rev}?blobs=true lists the files with
// their sizes, git blob ids and, for LFS files, sha256; GET /{repo}/resolve/{rev}/{path} sends a
// small file itself and redirects (302) an LFS file to a second server standing for the CDN
// (another origin, as cdn-lfs / cas-bridge are). Both honour Range. Errors carry the Hub's
// X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo). Faults can be queued
// per file: a body cut short, one that stops coming, wrong bytes, a 404, a 503, a server that
// ignores Range. Every
// request is recorded, with its Range and whether it carried a token.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubRepo {
  id: string;
  /** Repository path → a file on disk, or the bytes themselves. */
  files: Record<string, string | Uint8Array>;
  /** Files can only be downloaded with `token` (the listing stays public, as on the Hub). */
  gated?: boolean;
}

export type HubFault = 'truncate' | 'stall' | 'wrong-bytes' | 'not-found' | 'busy' | 'ignore-range';

export interface HubRequest {
  server: 'hub' | 'cdn';
  path: string;
  range?: string;
  authorization?: string;
}

export interface HubServer {
  /** The Hub's base URL, for modelLens.hub.endpoint. */
  endpoint: string;
  /** The token that opens gated repositories. */
  token: string;
  requests: HubRequest[];
  /** The next `times` requests for the bytes of `file` of `repo` meet `fault`. */
  fault(repo: string, file: string, fault: HubFault, times?: number): void;
  /** The commit every revision of `repo` names. */
  commit(repo: string): string;
  /** The sha256 of a file as served. */
  sha256(repo: string, file: string): string;
  close(): Promise<void>;
}

interface Blob {
  bytes: Buffer;
  sha256: string;
  blobId: string;
  lfs: boolean;
}

const TOKEN = 'hf_loopback_test_token';

/** What the Hub keeps in LFS: model weights whatever their size, and any large file. */
function isLfs(file: string, size: number): boolean {
  return /\.onnx$|\.onnx_data|\.onnx\.data$|\.bin$/.test(file) || size >= 10 * 1024 * 1024;
}

function errorAnswer(res: http.ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { 'content-type': 'application/json', 'x-error-code': code, 'x-error-message': message, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export async function startHubServer(repos: HubRepo[]): Promise<HubServer> {
  const store = new Map<string, { repo: HubRepo; commit: string; blobs: Map<string, Blob> }>();
  for (const repo of repos) {
    const blobs = new Map<string, Blob>();
    const commit = createHash('sha1').update(repo.id);
    for (const [file, source] of Object.entries(repo.files)) {
      const bytes = typeof source === 'string' ? fs.readFileSync(source) : Buffer.from(source);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const blobId = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
      blobs.set(file, { bytes, sha256, blobId, lfs: isLfs(file, bytes.length) });
      commit.update(file).update(sha256);
    }
    store.set(repo.id, { repo, commit: commit.digest('hex'), blobs });
  }
  const faults = new Map<string, HubFault[]>();
  const requests: HubRequest[] = [];
  const record = (server: HubRequest['server'], req: http.IncomingMessage) =>
    requests.push({
      server,
      path: decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname),
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
  const takeFault = (repo: string, file: string) => faults.get(`${repo}:${file}`)?.shift();
  // The CDN serves LFS content by hash; its URLs are what the Hub's redirects point to.
  const byHash = new Map<string, { repo: string; file: string; blob: Blob }>();
  for (const [id, { blobs }] of store) for (const [file, blob] of blobs) if (blob.lfs) byHash.set(blob.sha256, { repo: id, file, blob });

  /** Sends a file's bytes, honouring Range, with the fault queued for it if any. */
  function sendBytes(req: http.IncomingMessage, res: http.ServerResponse, blob: Blob, fault: HubFault | undefined): void {
    if (fault === 'busy') return errorAnswer(res, 503, '', 'Service temporarily unavailable');
    const size = blob.bytes.length;
    const range = fault === 'ignore-range' ? undefined : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` });
        return void res.end();
      }
    }
    let body = blob.bytes.subarray(start, end + 1);
    if (fault === 'wrong-bytes') {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      'accept-ranges': 'bytes',
      etag: `"${blob.sha256}"`,
    };
    if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (fault === 'truncate') {
      // Half the body, then the connection drops: Content-Length promised more.
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      return;
    }
    // Half the body, then nothing more, the connection left open (close() ends it).
    if (fault === 'stall') return void res.write(body.subarray(0, body.length >> 1));
    res.end(body);
  }

  let cdnOrigin = '';
  const hub = http.createServer((req, res) => {
    record('hub', req);
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const authorization = req.headers.authorization;
    const repoNotFound = (id: string) => errorAnswer(res, authorization ? 404 : 401, 'RepoNotFound', `Repository Not Found for url: ${id}.`);

    if (parts[0] === 'api' && parts[1] === 'models') {
      const id = `${parts[2]}/${parts[3]}`;
      const entry = store.get(id);
      if (!entry) return repoNotFound(id);
      const revision = parts[4] === 'revision' ? parts[5] : 'main';
      if (revision !== 'main' && revision !== entry.commit) return errorAnswer(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      const blobs = url.searchParams.get('blobs') === 'true' || url.searchParams.get('blobs') === 'True';
      const siblings = [...entry.blobs].map(([file, b]) =>
        blobs
          ? { rfilename: file, size: b.bytes.length, blobId: b.blobId, ...(b.lfs ? { lfs: { sha256: b.sha256, size: b.bytes.length, pointerSize: 134 } } : {}) }
          : { rfilename: file },
      );
      const body = JSON.stringify({
        _id: entry.commit.slice(0, 24),
        id,
        modelId: id,
        sha: entry.commit,
        private: false,
        gated: entry.repo.gated ? 'manual' : false,
        disabled: false,
        siblings,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      return void res.end(body);
    }

    if (parts[2] === 'resolve') {
      const id = `${parts[0]}/${parts[1]}`;
      const entry = store.get(id);
      if (!entry) return repoNotFound(id);
      const revision = parts[3];
      if (revision !== 'main' && revision !== entry.commit) return errorAnswer(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      if (entry.repo.gated && authorization !== `Bearer ${TOKEN}`) {
        const message = `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
        return errorAnswer(res, authorization ? 403 : 401, 'GatedRepo', message);
      }
      const file = parts.slice(4).join('/');
      const blob = entry.blobs.get(file);
      if (!blob) return errorAnswer(res, 404, 'EntryNotFound', `${file} does not exist on "${revision}"`);
      if (faults.get(`${id}:${file}`)?.[0] === 'not-found') {
        takeFault(id, file);
        return errorAnswer(res, 404, 'EntryNotFound', `${file} does not exist on "${revision}"`);
      }
      if (blob.lfs) {
        // As the Hub does: to the CDN, with a signed, expiring query.
        // The file's name rides along in the query, as the Hub's content-disposition does: the same bytes may be two files, with faults of their own.
        res.writeHead(302, {
          location: `${cdnOrigin}/repos/${blob.sha256}?response-content-disposition=${encodeURIComponent(`attachment; filename="${file}"`)}&repo=${encodeURIComponent(id)}&Expires=9999999999&Signature=loopback`,
          'x-linked-size': blob.bytes.length,
          'x-linked-etag': `"${blob.sha256}"`,
          'x-repo-commit': entry.commit,
        });
        return void res.end();
      }
      return sendBytes(req, res, blob, takeFault(id, file));
    }
    errorAnswer(res, 404, '', 'Not found');
  });

  const cdn = http.createServer((req, res) => {
    record('cdn', req);
    const url = new URL(req.url ?? '/', 'http://x');
    const hash = /^\/repos\/([0-9a-f]{64})$/.exec(url.pathname)?.[1];
    const found = hash && byHash.get(hash);
    if (!found) return errorAnswer(res, 404, '', 'NoSuchKey');
    const file = /filename="(.*)"$/.exec(url.searchParams.get('response-content-disposition') ?? '')?.[1] ?? found.file;
    sendBytes(req, res, found.blob, takeFault(url.searchParams.get('repo') ?? found.repo, file));
  });

  const endpoint = await listen(hub);
  cdnOrigin = await listen(cdn);
  const entryOf = (repo: string) => {
    const entry = store.get(repo);
    if (!entry) throw new Error(`the loopback Hub has no repository ${repo}`);
    return entry;
  };
  return {
    endpoint,
    token: TOKEN,
    requests,
    fault(repo, file, fault, times = 1) {
      const queue = faults.get(`${repo}:${file}`) ?? [];
      queue.push(...Array<HubFault>(times).fill(fault));
      faults.set(`${repo}:${file}`, queue);
    },
    commit: (repo) => entryOf(repo).commit,
    sha256(repo, file) {
      const blob = entryOf(repo).blobs.get(file);
      if (!blob) throw new Error(`the loopback Hub has no ${file} in ${repo}`);
      return blob.sha256;
    },
    close: () =>
      Promise.all(
        [hub, cdn].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      ).then(() => undefined),
  };
}
