// The client of an OpenAI-compatible completions server (vLLM, SGLang, Text Generation Inference,
// llama.cpp's server) that scores a prompt: POST /v1/completions with `echo`, `logprobs: k` and
// `max_tokens: 0`, plus vLLM's `prompt_logprobs: k`; GET /v1/models to check the model and learn
// its context. Node's own fetch, nothing else. Every error says which server and what to do; a
// busy server (429, 503) is asked again a bounded number of times, with backoff; every request
// can be cancelled and has a deadline; an answer larger than a bound is refused while it arrives.
// Pure: no `vscode`.
import { AnswerError, parsePromptLogprobs, type ParsedPrompt } from './remoteTokens';

export type RemoteErrorKind =
  | 'config'
  | 'auth'
  | 'busy'
  | 'wrong-model'
  | 'no-prompt-logprobs'
  | 'top-k'
  | 'bad-answer'
  | 'too-long'
  | 'http'
  | 'connection'
  | 'timeout'
  | 'cancelled';

/** What a server said when it refused a prompt as too long for its model, where it said it. */
export interface ContextRefusal {
  /** The context it allows, in tokens (prompt and completion together). */
  contextTokens?: number;
  /** The tokens it counted in the prompt. */
  promptTokens?: number;
}

/** A failure of the remote backend, in one sentence that names the server. */
export class RemoteError extends Error {
  constructor(
    readonly kind: RemoteErrorKind,
    message: string,
    /** The server's base address (never the API key). */
    readonly server: string,
    /** The connection failed before any answer: asking again on a new one may work. */
    readonly beforeAnswer = false,
    /** For 'too-long': the counts the server gave. */
    readonly refusal?: ContextRefusal,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

export interface ClientOptions {
  /** The server's base URL: `http://host:8000` or `http://host:8000/v1`. */
  endpoint: string;
  /** The model to ask for; empty: the one model the server lists. */
  model: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** Requests at a time; more wait their turn (default 4). */
  inFlight?: number;
  /** Tries in all for a server that answers 429 or 503 (default 3). */
  attempts?: number;
  /** First wait before asking a busy server again; doubled each time (default 500 ms). */
  retryDelayMs?: number;
  /** Longest wait between tries, whatever Retry-After says (default 10 s). */
  maxRetryDelayMs?: number;
  /** Deadline of one request, from sending it to the end of the answer (default 60 s). */
  timeoutMs?: number;
  /** Largest answer read (default 64 MB): a prompt's log-probabilities are a few hundred bytes a token. */
  maxAnswerBytes?: number;
}

/** The model a server runs and what it can take, from GET /v1/models where the server has it. */
export interface ServedModel {
  model: string;
  /** Its context in tokens, where the server says (vLLM and SGLang: max_model_len; llama.cpp: n_ctx_train). */
  contextTokens?: number;
}

export interface ScoredPrompt extends ParsedPrompt {
  /** The model that answered (the one asked for, checked against the answer). */
  model: string;
}

const DEFAULTS = { inFlight: 4, attempts: 3, retryDelayMs: 500, maxRetryDelayMs: 10_000, timeoutMs: 60_000, maxAnswerBytes: 64 * 1024 * 1024 };

/** The longest piece of a server's own error text put into a message. */
const SERVER_TEXT = 200;

/** A base URL checked and split into what requests use. Throws RemoteError('config'). */
export function parseEndpoint(endpoint: string): { server: string; origin: string; completions: string; models: string } {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    throw new RemoteError(
      'config',
      `modelLens.remote.endpoint is not a URL: "${endpoint.slice(0, 80)}". Give the server's base URL, e.g. http://localhost:8000.`,
      endpoint.slice(0, 80),
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RemoteError('config', `modelLens.remote.endpoint must be an http or https URL, not ${url.protocol}.`, url.origin);
  // fetch refuses credentials in a URL; the API key belongs in secret storage, not in settings.
  if (url.username || url.password)
    throw new RemoteError(
      'config',
      'modelLens.remote.endpoint holds a user name or password: remove it and use Model Lens: Set Remote API Key… instead.',
      url.host,
    );
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  const v1 = /\/v1$/.test(base) ? base : `${base}/v1`;
  return { server: base, origin: url.origin, completions: `${v1}/completions`, models: `${v1}/models` };
}

const firstNumber = (text: string, patterns: RegExp[]): number | undefined => {
  for (const p of patterns) {
    const n = Number(p.exec(text)?.[1]);
    if (Number.isInteger(n) && n > 0) return n;
  }
  return undefined;
};

/**
 * Whether an error answer refuses the prompt as too long for the model, and the counts it gives.
 * The servers say it differently:
 * - vLLM, HTTP 400: "This model's maximum context length is N tokens. However, you requested T
 *   tokens (P in the messages, M in the completion)…", in later versions "…and your request has P
 *   input tokens", and in its engine "The prompt (total length P) is too long to fit into the
 *   model (context length N)";
 * - Text Generation Inference, HTTP 422: "Input validation error: `inputs` tokens +
 *   `max_new_tokens` must be <= N. Given: P `inputs` tokens and M `max_new_tokens`", or
 *   "`inputs` must have less than N tokens. Given: P";
 * - llama.cpp's server, HTTP 400 (500 before late 2025): `{"error": {"type":
 *   "exceed_context_size_error", "n_prompt_tokens": P, "n_ctx": N, …}}` — its n_ctx is the
 *   slot's context, which can be far below the n_ctx_train that GET /v1/models reports.
 */
export function contextRefusal(status: number, body: string): ContextRefusal | undefined {
  if (![400, 413, 422, 500].includes(status)) return undefined;
  let llama: Record<string, unknown> | undefined;
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    if (typeof error === 'object' && error !== null && (error as Record<string, unknown>).type === 'exceed_context_size_error')
      llama = error as Record<string, unknown>;
  } catch {
    // Not JSON: read as text.
  }
  if (llama) {
    const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
    return { contextTokens: count(llama.n_ctx), promptTokens: count(llama.n_prompt_tokens) };
  }
  // A 400 that speaks of the context at all; other statuses only in the words servers use for it.
  const specific = /maximum context length|too long to fit|must be <= \d+\. Given|must have less than \d+ tokens|exceeds? the available context/i;
  if (!(status === 400 ? /context|too long|maximum.*length|exceeds/i : specific).test(body)) return undefined;
  return {
    contextTokens: firstNumber(body, [
      /maximum context length is (\d+)/i,
      /\(context length (\d+)\)/i,
      /must be <= (\d+)/i,
      /must have less than (\d+) tokens/i,
    ]),
    promptTokens: firstNumber(body, [
      /\((\d+) in the messages/i,
      /request has (\d+) input tokens/i,
      /you requested (\d+) tokens/i,
      /total length (\d+)/i,
      /Given: (\d+) `inputs` tokens/i,
      /must have less than \d+ tokens\. Given: (\d+)/i,
    ]),
  };
}

/** One line of a server's error text, bounded: it is shown to the user. */
function serverText(body: string): string {
  let text = body;
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const error = json.error;
    const message = typeof error === 'object' && error !== null ? (error as Record<string, unknown>).message : error;
    text = [message, json.message, json.detail].find((m): m is string => typeof m === 'string') ?? body;
  } catch {
    // Not JSON: the text itself.
  }
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > SERVER_TEXT ? `${line.slice(0, SERVER_TEXT - 1)}…` : line;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/** Waits for a free slot among `limit`, in order; a waiter whose signal aborts leaves the queue. */
class Slots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.busy < this.limit) {
      this.busy++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const abort = () => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal!.reason);
      };
      // The slot passes straight from the request that ends to this one.
      const go = () => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.waiting.push(go);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  }

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

export class CompletionsClient {
  readonly server: string;
  private readonly urls: ReturnType<typeof parseEndpoint>;
  private readonly options: Required<Omit<ClientOptions, 'apiKey'>> & { apiKey?: string };
  private readonly slots: Slots;
  private served: Promise<ServedModel> | undefined;
  /** The context a refusal said, where it is less than the one listed: later windows are sized for it. */
  private refusedAbove: number | undefined;
  /** Set once the server refused max_tokens 0 (vLLM before it allowed 0): later requests ask for 1 and drop it. */
  private minTokens = 0;
  /** Cleared once the server refused vLLM's prompt_logprobs as an unknown argument: the echo form remains. */
  private askPromptLogprobs = true;

  constructor(options: ClientOptions) {
    this.urls = parseEndpoint(options.endpoint);
    this.server = this.urls.server;
    this.options = {
      ...DEFAULTS,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
      model: options.model.trim(),
    } as CompletionsClient['options'];
    this.slots = new Slots(Math.max(1, Math.floor(this.options.inFlight)));
  }

  private error(kind: RemoteErrorKind, message: string, beforeAnswer = false): RemoteError {
    return new RemoteError(kind, `The server ${this.server} ${message}`, this.server, beforeAnswer);
  }

  /**
   * The model to ask for and its context: GET /v1/models once per client. A configured model the
   * server does not list is an error; so is none configured when the server lists several or none.
   */
  servedModel(signal?: AbortSignal): Promise<ServedModel> {
    const work = (this.served ??= this.listModels(signal));
    // A failed or cancelled look-up is asked again next time.
    work.catch(() => {
      if (this.served === work) this.served = undefined;
    });
    return work.then((served) => {
      const refused = this.refusedAbove;
      return refused !== undefined && !(served.contextTokens !== undefined && served.contextTokens <= refused) ? { ...served, contextTokens: refused } : served;
    });
  }

  private async listModels(signal?: AbortSignal): Promise<ServedModel> {
    const configured = this.options.model;
    let answer: Answer;
    try {
      answer = await this.request('GET', this.urls.models, undefined, signal);
    } catch (e) {
      // A server without the list still serves the model it is asked for by name.
      if (e instanceof RemoteError && (e.kind === 'http' || e.kind === 'bad-answer')) {
        if (configured) return { model: configured };
        throw this.error(
          'config',
          `does not list its models (${e.message.replace(`The server ${this.server} `, '').replace(/\.$/, '')}): set modelLens.remote.model to the model it serves.`,
        );
      }
      throw e;
    }
    let entries: Record<string, unknown>[] = [];
    try {
      const data = (JSON.parse(answer.body) as { data?: unknown }).data;
      if (Array.isArray(data))
        entries = data.filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null && typeof (d as { id?: unknown }).id === 'string');
    } catch {
      if (configured) return { model: configured };
      throw this.error('bad-answer', `answered GET ${this.urls.models} with text that is not JSON: set modelLens.remote.model to the model's name.`);
    }
    const ids = entries.map((e) => e.id as string);
    const listed = (names: string[]) =>
      names
        .slice(0, 5)
        .map((n) => `"${n.slice(0, 80)}"`)
        .join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
    if (!configured && ids.length !== 1) {
      throw this.error(
        'config',
        ids.length === 0
          ? 'lists no models: set modelLens.remote.model to the model it serves.'
          : `serves several models (${listed(ids)}): choose one with modelLens.remote.model.`,
      );
    }
    const model = configured || ids[0];
    const entry = entries.find((e) => e.id === model);
    if (!entry) {
      if (ids.length === 0) return { model };
      throw this.error('wrong-model', `does not serve "${model.slice(0, 80)}" (modelLens.remote.model); it serves ${listed(ids)}.`);
    }
    const meta = entry.meta as Record<string, unknown> | undefined;
    const context = [entry.max_model_len, entry.context_length, meta?.n_ctx, meta?.n_ctx_train].find(
      (n): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0,
    );
    return { model, contextTokens: context };
  }

  /**
   * The server's log-probabilities of every token of `prompt`, with `k` alternatives each, placed
   * on the prompt's text. Waits for one of the client's slots.
   */
  async scorePrompt(prompt: string, k: number, signal?: AbortSignal): Promise<ScoredPrompt> {
    const { model } = await this.servedModel(signal);
    return this.slots.run(async () => {
      let answer = await this.post(model, prompt, k, signal);
      // Each refusal of a request's form is met once, and remembered: at most two more requests.
      for (let tries = 0; answer.status === 400 && tries < 2 && !contextRefusal(answer.status, answer.body); tries++) {
        if (this.askPromptLogprobs && /prompt_logprobs/i.test(answer.body)) this.askPromptLogprobs = false;
        // vLLM before max_tokens 0 was allowed: generate one token, which the parser drops.
        else if (this.minTokens === 0 && /max_tokens|at least 1/i.test(answer.body)) this.minTokens = 1;
        else break;
        answer = await this.post(model, prompt, k, signal);
      }
      if (answer.status !== 200) throw this.statusError(answer, 'POST', this.urls.completions);
      let body: unknown;
      try {
        body = JSON.parse(answer.body);
      } catch (e) {
        throw this.error(
          'bad-answer',
          `sent an answer that is not valid JSON (${answer.body.length} characters; ${e instanceof Error ? e.message : String(e)}): it may have been cut off.`,
        );
      }
      const said = typeof (body as { model?: unknown })?.model === 'string' ? (body as { model: string }).model : undefined;
      if (said !== undefined && said !== model) {
        throw this.error(
          'wrong-model',
          `answered for the model "${said.slice(0, 80)}", not "${model.slice(0, 80)}" that was asked for: check modelLens.remote.model, and that nothing between Model Lens and the server sends requests elsewhere.`,
        );
      }
      try {
        return { ...parsePromptLogprobs(body, prompt, k), model };
      } catch (e) {
        if (e instanceof AnswerError) throw this.error(e.kind, `answered for "${model.slice(0, 80)}", but: ${e.message}`);
        throw e;
      }
    }, signal);
  }

  private post(model: string, prompt: string, k: number, signal?: AbortSignal): Promise<Answer> {
    const body = {
      model,
      prompt,
      echo: true,
      logprobs: k,
      ...(this.askPromptLogprobs ? { prompt_logprobs: k } : {}),
      max_tokens: this.minTokens,
      temperature: 0,
      stream: false,
    };
    return this.request('POST', this.urls.completions, JSON.stringify(body), signal);
  }

  private statusError(answer: Answer, method: string, url: string): RemoteError {
    const text = serverText(answer.body);
    const said = text ? `: "${text}"` : '';
    if (answer.status === 401 || answer.status === 403) {
      return this.error('auth', `refused the API key (HTTP ${answer.status}${said}). Run Model Lens: Set Remote API Key… to enter the key for this server.`);
    }
    if (answer.status === 429 || answer.status === 503)
      return this.error(
        'busy',
        `was busy (HTTP ${answer.status}) ${this.options.attempts} times in a row${said}. Try again later, or lower modelLens.remote.windowsInFlight.`,
      );
    const refusal = method === 'POST' ? contextRefusal(answer.status, answer.body) : undefined;
    if (refusal) {
      // Its own count of its context, where below the one it lists (llama.cpp's slots), sizes the next windows.
      if (refusal.contextTokens !== undefined) this.refusedAbove = Math.min(this.refusedAbove ?? Infinity, refusal.contextTokens);
      return new RemoteError(
        'too-long',
        `The server ${this.server} found the text too long for its model's context (HTTP ${answer.status}${said}).`,
        this.server,
        false,
        refusal,
      );
    }
    if (answer.status === 404 && method === 'POST' && /model/i.test(text))
      return this.error('wrong-model', `does not serve the model asked for (HTTP 404${said}): check modelLens.remote.model.`);
    if (answer.status === 404 && method === 'POST')
      return this.error(
        'http',
        `has no ${url} (HTTP 404${said}): modelLens.remote.endpoint must be the base URL of an OpenAI-compatible server, e.g. http://localhost:8000.`,
      );
    return this.error('http', `answered ${method} ${url} with HTTP ${answer.status}${said}.`);
  }

  /** One request, asked again while the server is busy; the answer read in full, within the deadline and size bound. */
  private async request(method: 'GET' | 'POST', url: string, body: string | undefined, signal?: AbortSignal): Promise<Answer> {
    const { attempts, retryDelayMs, maxRetryDelayMs } = this.options;
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        answer = await this.once(method, url, body, signal);
      } catch (e) {
        // A kept-alive connection the server closed as the request left (its idle timeout):
        // scoring is free of side effects, so it is sent once more on a new connection.
        if (!(e instanceof RemoteError && e.beforeAnswer && attempt === 1)) throw e;
        answer = await this.once(method, url, body, signal);
      }
      const busy = answer.status === 429 || answer.status === 503;
      if (answer.status === 401 || answer.status === 403 || (busy && attempt >= attempts)) throw this.statusError(answer, method, url);
      if (!busy) {
        if (method === 'GET' && answer.status !== 200) throw this.statusError(answer, method, url);
        return answer;
      }
      const after = Number(answer.headers.get('retry-after'));
      const wait = Number.isFinite(after) && after >= 0 ? after * 1000 : retryDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
      try {
        await sleep(Math.min(maxRetryDelayMs, wait), signal);
      } catch {
        throw this.error('cancelled', 'was not asked again: the request was cancelled.');
      }
    }
  }

  private async once(method: string, url: string, body: string | undefined, signal?: AbortSignal): Promise<Answer> {
    const { timeoutMs, maxAnswerBytes, apiKey } = this.options;
    if (signal?.aborted) throw this.error('cancelled', 'was not asked: the request was cancelled.');
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const cancel = () => deadline.abort();
    signal?.addEventListener('abort', cancel, { once: true });
    const failed = (e: unknown, reading: boolean, bytes = 0): RemoteError => {
      if (signal?.aborted) return this.error('cancelled', 'was not waited for: the request was cancelled.');
      if (deadline.signal.aborted) return this.error('timeout', `did not answer within ${Math.round(timeoutMs / 1000)} s.`);
      const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
      const why = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
      return reading
        ? this.error('connection', `closed the connection before its answer was complete (after ${bytes} bytes; ${why}).`)
        : this.error('connection', `could not be reached (${why}). Check modelLens.remote.endpoint and that the server is running.`, true);
    };
    try {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          body,
          headers: {
            accept: 'application/json',
            ...(body ? { 'content-type': 'application/json' } : {}),
            ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
          },
          signal: deadline.signal,
          redirect: 'error',
        });
      } catch (e) {
        throw failed(e, false);
      }
      const declared = Number(response.headers.get('content-length'));
      if (declared > maxAnswerBytes) {
        await response.body?.cancel().catch(() => undefined);
        throw this.error('bad-answer', `sent an answer of ${declared} bytes, more than the ${maxAnswerBytes} Model Lens reads.`);
      }
      const chunks: Uint8Array[] = [];
      let bytes = 0;
      try {
        for await (const chunk of response.body ?? []) {
          bytes += chunk.byteLength;
          if (bytes > maxAnswerBytes) {
            await response.body?.cancel().catch(() => undefined);
            throw this.error('bad-answer', `sent an answer of more than ${maxAnswerBytes} bytes, more than Model Lens reads.`);
          }
          chunks.push(chunk);
        }
      } catch (e) {
        if (e instanceof RemoteError) throw e;
        throw failed(e, true, bytes);
      }
      return { status: response.status, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
    }
  }
}
