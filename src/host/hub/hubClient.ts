// The client of a Hugging Face Hub (huggingface.co, or a mirror that speaks its API): which files a
// model repository holds at a revision, with their sizes and hashes
// (GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true), and each file's bytes from
// {endpoint}/{repo}/resolve/{commit}/{path}, which the Hub answers with a redirect to its CDN for
// large (LFS) files. Node's own fetch; every request goes through `send`, which follows redirects
// itself so that the access token is sent to the Hub's own origin and nowhere else.
// Pure: no `vscode`.
import { HubError, type HubErrorKind } from './hubError';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** A file of a repository, as the Hub lists it with `blobs=true`. */
export interface HubFile {
  /** Its path in the repository, with `/`. */
  path: string;
  size: number;
  /** For LFS files: the sha256 of the content. */
  sha256?: string;
  /** For the others: git's blob id, sha1('blob {size}\0' + content). */
  blobId?: string;
}

export interface RepoInfo {
  repo: string;
  /** The commit the revision pointed to: every file is downloaded from it, so they all match. */
  commit: string;
  /** false, or how access is granted ('auto', 'manual'). */
  gated: false | string;
  files: HubFile[];
}

/** The answer to a file request: 200 (whole), 206 (from the offset asked for) or 416 (nothing past it). */
export interface FileAnswer {
  status: number;
  contentRange?: string;
  /** The host that sent the bytes (the CDN's, after a redirect). */
  host: string;
  chunks: AsyncIterable<Uint8Array>;
  /** Stops reading the body, when it is not wanted. */
  cancel(): void;
}

/**
 * A request's deadline that moves on with every piece received: a download may take hours, but
 * a server that sends nothing for `ms` is given up on. Also follows the caller's own signal.
 */
class Stall {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  stalled = false;
  readonly signal: AbortSignal;

  constructor(
    readonly ms: number,
    private readonly outer?: AbortSignal,
  ) {
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
    this.touch();
  }

  get cancelled(): boolean {
    return !!this.outer?.aborted;
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.stalled = true;
      this.controller.abort();
    }, this.ms);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

export interface HubClientOptions {
  /** Base URL of the Hub, e.g. https://huggingface.co or a mirror; see hubEndpoint. */
  endpoint: string;
  /** Sent as `Authorization: Bearer …`, to the endpoint's origin only. */
  token?: string;
  /** Longest wait for an answer to start, and between two pieces of a download (default 60 s). */
  stallTimeoutMs?: number;
}

/** The largest repository listing read (a repository of thousands of files is a few MB). */
const MAX_LISTING_BYTES = 32 * 1024 * 1024;
const MAX_REDIRECTS = 5;
/** The longest piece of a server's own text put into a message. */
const SERVER_TEXT = 200;

/**
 * The Hub to use: the setting when set, else the HF_ENDPOINT environment variable (as the Hub's
 * own tools read it), else huggingface.co. Throws HubError('config') for anything but an http(s)
 * URL without credentials.
 */
export function hubEndpoint(setting: string, env: NodeJS.ProcessEnv = process.env): { endpoint: string; origin: string; source: string } {
  const fromSetting = setting.trim();
  const fromEnv = env.HF_ENDPOINT?.trim();
  const [value, source] = fromSetting ? [fromSetting, 'modelLens.hub.endpoint'] : fromEnv ? [fromEnv, 'HF_ENDPOINT'] : [DEFAULT_ENDPOINT, 'default'];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new HubError('config', `${source} is not a URL: "${value.slice(0, 80)}". Give the Hub's base URL, e.g. ${DEFAULT_ENDPOINT}.`, value.slice(0, 80));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new HubError('config', `${source} must be an http or https URL, not ${url.protocol}.`, url.origin);
  // fetch refuses credentials in a URL, and a token belongs in secret storage, not in settings.
  if (url.username || url.password)
    throw new HubError('config', `${source} holds a user name or password: remove it and use Model Lens: Set Hugging Face Hub Token… instead.`, url.host);
  return { endpoint: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, origin: url.origin, source };
}

/** A repository name as the Hub allows it: letters, digits, `-`, `_`, `.`; no `--` or `..`; at most 96 long. */
const NAME = /^(?!.*(--|\.\.))[\w.-]{1,96}$/;

/**
 * `org/name`, `org/name@revision`, or a model page's URL (…/org/name, …/org/name/tree/revision)
 * into the repository and revision. Undefined when it is none of these.
 */
export function parseRepoId(text: string): { repo: string; revision: string } | undefined {
  let value = text.trim();
  let revision = 'main';
  const page = /^https?:\/\/[^/]+\/([^/?#]+\/[^/?#]+)(?:\/(?:tree|blob|resolve)\/([^/?#]+))?\/?(?:[?#].*)?$/.exec(value);
  if (page) {
    value = page[1];
    if (page[2]) revision = decodeURIComponent(page[2]);
  } else {
    const at = value.lastIndexOf('@');
    if (at > 0) {
      revision = value.slice(at + 1);
      value = value.slice(0, at);
    }
  }
  const parts = value.split('/');
  if (parts.length !== 2 || !parts.every((p) => NAME.test(p) && !p.startsWith('.') && !p.endsWith('.'))) return undefined;
  // Branches, tags and commits; refs/pr/N for a pull request.
  if (!revision || revision.length > 200 || /[\s\\?#]|\.\./.test(revision) || revision.startsWith('/')) return undefined;
  return { repo: value, revision };
}

/** One line of a server's error text, bounded: it is shown to the user. */
function serverText(body: string): string {
  let text = body;
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    text = [json.error, json.message].find((m): m is string => typeof m === 'string') ?? body;
  } catch {
    // Not JSON: the text itself.
  }
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > SERVER_TEXT ? `${line.slice(0, SERVER_TEXT - 1)}…` : line;
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** A validated sibling of the listing, or undefined for entries that are not files we can check. */
function hubFile(entry: unknown): HubFile | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as { rfilename?: unknown; size?: unknown; blobId?: unknown; lfs?: { sha256?: unknown; size?: unknown } };
  if (typeof e.rfilename !== 'string') return undefined;
  const size = typeof e.lfs?.size === 'number' ? e.lfs.size : e.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  const sha256 = typeof e.lfs?.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.lfs.sha256) ? e.lfs.sha256 : undefined;
  const blobId = typeof e.blobId === 'string' && /^[0-9a-f]{40}$/.test(e.blobId) ? e.blobId : undefined;
  return { path: e.rfilename, size, sha256, blobId };
}

export class HubClient {
  readonly endpoint: string;
  readonly origin: string;
  private readonly token?: string;
  readonly stallTimeoutMs: number;

  constructor(options: HubClientOptions) {
    const url = new URL(options.endpoint);
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.origin = url.origin;
    this.token = options.token;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
  }

  /** The files of `repo` at `revision`, their sizes and hashes, and the commit it names. */
  async repoInfo(repo: string, revision: string, signal?: AbortSignal): Promise<RepoInfo> {
    const url = `${this.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
    const stall = new Stall(this.stallTimeoutMs, signal);
    let text: string;
    try {
      const response = await this.send(url, { accept: 'application/json' }, stall);
      if (!response.ok) throw await this.failure(response, repo, revision);
      text = await this.readBounded(response, MAX_LISTING_BYTES, `the file list of ${repo}`, stall);
    } finally {
      stall.dispose();
    }
    let json: { sha?: unknown; gated?: unknown; siblings?: unknown };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new HubError(
        'bad-answer',
        `${this.origin} answered the file list of ${repo} with something that is not JSON. Is modelLens.hub.endpoint (or HF_ENDPOINT) a Hugging Face Hub or a mirror of it?`,
        this.origin,
      );
    }
    if (typeof json.sha !== 'string' || !/^[0-9a-f]{40}$/.test(json.sha) || !Array.isArray(json.siblings)) {
      throw new HubError(
        'bad-answer',
        `${this.origin} listed ${repo} without a commit or its files. Is modelLens.hub.endpoint (or HF_ENDPOINT) a Hugging Face Hub or a mirror of it?`,
        this.origin,
      );
    }
    const files = json.siblings.map(hubFile).filter((f): f is HubFile => f !== undefined);
    return { repo, commit: json.sha, gated: typeof json.gated === 'string' ? json.gated : false, files };
  }

  /** The address of a file of a repository at a commit. */
  fileUrl(repo: string, commit: string, file: string): string {
    return `${this.endpoint}/${repo}/resolve/${encodeURIComponent(commit)}/${file.split('/').map(encodeURIComponent).join('/')}`;
  }

  /**
   * GETs a file from `offset` on (a Range request when above 0), following the CDN redirect.
   * Answers other than 200/206/416 become HubErrors naming the file. The body's pieces come
   * through `chunks`; a connection that breaks or stalls while they arrive is a resumable
   * HubError('truncated').
   */
  async getFile(repo: string, commit: string, file: string, offset: number, signal?: AbortSignal): Promise<FileAnswer> {
    const stall = new Stall(this.stallTimeoutMs, signal);
    try {
      const response = await this.send(this.fileUrl(repo, commit, file), offset > 0 ? { range: `bytes=${offset}-` } : {}, stall);
      if (!response.ok && response.status !== 416) throw await this.failure(response, repo, commit, file);
      const host = new URL(response.url || this.endpoint).host;
      const origin = this.origin;
      const chunks = async function* (): AsyncGenerator<Uint8Array> {
        try {
          for await (const chunk of response.body ?? []) {
            stall.touch();
            yield chunk;
          }
        } catch (e) {
          if (signal?.aborted) throw new HubError('cancelled', 'The download was cancelled.', origin);
          const why = stall.stalled ? `nothing arrived for ${+(stall.ms / 1000).toFixed(1)} s` : `the connection broke: ${describeCause(e)}`;
          throw new HubError('truncated', `The download of ${file} from ${host} stopped (${why}).`, origin, true);
        } finally {
          stall.dispose();
        }
      };
      return {
        status: response.status,
        contentRange: response.headers.get('content-range') ?? undefined,
        host,
        chunks: chunks(),
        cancel: () => {
          stall.dispose();
          void response.body?.cancel().catch(() => undefined);
        },
      };
    } catch (e) {
      stall.dispose();
      throw e;
    }
  }

  /**
   * Every request of the client: redirects are followed here (at most 5), relative or to another
   * host, and the token goes only to the endpoint's own origin. A connection that fails, or an
   * answer that does not start within the stall timeout, is a HubError naming the host.
   */
  private async send(url: string, headers: Record<string, string>, stall: Stall): Promise<Response> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const target = new URL(current);
      const auth: Record<string, string> = this.token && target.origin === this.origin ? { authorization: `Bearer ${this.token}` } : {};
      let response: Response;
      try {
        response = await fetch(current, { headers: { ...headers, ...auth, 'user-agent': 'model-lens' }, redirect: 'manual', signal: stall.signal });
        stall.touch();
      } catch (e) {
        if (stall.cancelled) throw new HubError('cancelled', 'The download was cancelled.', target.origin);
        if (stall.stalled)
          throw new HubError(
            'connection',
            `${target.host} did not answer within ${Math.round(this.stallTimeoutMs / 1000)} s. Try again later, or check modelLens.hub.endpoint (or HF_ENDPOINT) and your proxy.`,
            target.origin,
            true,
          );
        throw new HubError(
          'connection',
          `Could not reach ${target.host} (${describeCause(e)}). Check the network and proxy, or modelLens.hub.endpoint (or HF_ENDPOINT).`,
          target.origin,
          true,
        );
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      await response.body?.cancel().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new HubError('bad-answer', `${target.host} redirected ${url} more than ${MAX_REDIRECTS} times.`, target.origin);
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw new HubError('bad-answer', `${target.host} redirected a download to ${next.protocol}, which Model Lens does not follow.`, target.origin);
      // https → http would hand the bytes to anyone on the way: the hash would catch a change, but not the reading.
      if (target.protocol === 'https:' && next.protocol === 'http:')
        throw new HubError(
          'bad-answer',
          `${target.host} redirected a download from https to plain http (${next.host}), which Model Lens does not follow.`,
          target.origin,
        );
      current = next.href;
    }
  }

  /** The error an unsuccessful answer stands for, in the Hub's terms (its X-Error-Code header). */
  private async failure(response: Response, repo: string, revision: string, file?: string): Promise<HubError> {
    const code = response.headers.get('x-error-code') ?? '';
    const body = await response.text().catch(() => '');
    const said = serverText(response.headers.get('x-error-message') ?? body);
    const host = new URL(response.url || this.endpoint).host || new URL(this.endpoint).host;
    const what = file ? `${file} of ${repo}` : repo;
    const tail = said ? ` (${host} said: ${said})` : '';
    const error = (kind: HubErrorKind, message: string) => new HubError(kind, message, this.origin, false, response.status);
    if (code === 'GatedRepo' || (response.status === 403 && !file)) {
      return this.token
        ? error(
            'auth',
            `The token set for ${this.origin} has no access to ${repo}, a gated model: accept its conditions on its page on the Hub with the account of the token, or set another token with Model Lens: Set Hugging Face Hub Token….${tail}`,
          )
        : error(
            'auth',
            `${repo} is a gated model on ${this.origin}: accept its conditions on its page on the Hub, then set an access token with Model Lens: Set Hugging Face Hub Token….${tail}`,
          );
    }
    if (code === 'RevisionNotFound') return error('not-found', `${repo} has no revision "${revision}" on ${this.origin}.${tail}`);
    if (code === 'EntryNotFound' || (file && response.status === 404))
      return error(
        'not-found',
        `${what} is listed by ${this.origin} but could not be downloaded from ${host} (404). Try again later; if it persists the repository changed, so start the download again.${tail}`,
      );
    if (code === 'RepoNotFound' || response.status === 404 || response.status === 401) {
      // The Hub answers 401 for a repository that does not exist and for a private one alike.
      return this.token
        ? error(
            response.status === 401 && code !== 'RepoNotFound' ? 'auth' : 'not-found',
            `${this.origin} has no model ${repo} that the token set for it can read: check the name, or the token (Model Lens: Set Hugging Face Hub Token…).${tail}`,
          )
        : error(
            'not-found',
            `${this.origin} has no model ${repo}: check the name. If it is private, set an access token with Model Lens: Set Hugging Face Hub Token….${tail}`,
          );
    }
    if (response.status === 403) return error('auth', `${host} refused ${what} (403).${tail}`);
    const busy = response.status === 429 || response.status >= 500;
    return new HubError(
      'http',
      `${host} answered ${response.status} for ${what}${busy ? ': the server is busy or failing; try again later' : ''}.${tail}`,
      this.origin,
      busy,
      response.status,
    );
  }

  /** Reads a whole answer of at most `limit` bytes as text. */
  private async readBounded(response: Response, limit: number, what: string, stall: Stall): Promise<string> {
    const declared = Number(response.headers.get('content-length'));
    if (declared > limit)
      throw new HubError('bad-answer', `${this.origin} sent ${what} of ${declared} bytes, more than the ${limit} Model Lens reads.`, this.origin);
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of response.body ?? []) {
        total += chunk.length;
        if (total > limit) {
          await response.body?.cancel().catch(() => undefined);
          throw new HubError('bad-answer', `${this.origin} sent ${what} of more than the ${limit} bytes Model Lens reads.`, this.origin);
        }
        chunks.push(chunk);
        stall.touch();
      }
    } catch (e) {
      if (e instanceof HubError) throw e;
      if (stall.cancelled) throw new HubError('cancelled', 'The download was cancelled.', this.origin);
      throw new HubError('connection', `The connection to ${this.origin} broke while it sent ${what} (${describeCause(e)}). Try again.`, this.origin, true);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
