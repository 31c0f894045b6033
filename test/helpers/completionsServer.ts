// An OpenAI-compatible completions server on 127.0.0.1 that answers from the project's own engine,
// as vLLM would for the same model: GET /v1/models, and POST /v1/completions with echo, logprobs
// and prompt_logprobs in the legacy form, vLLM's prompt_logprobs form, or both. A prompt of more
// tokens than its context (counted with the model's own tokenizer) is refused as vLLM, Text
// Generation Inference or llama.cpp's server refuses it. Faults can be queued for the next
// completions requests, and it counts requests and how many were open at once. It answers from one
// engine, or from several (engine workers) as a serving cluster runs requests side by side.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { LoadedModel } from '../../src/engine/loadedModel';
import { TextTokenizer } from '../../src/engine/tokenizer';
import type { Analysis, AnalyzeOptions } from '../../src/engine/types';

export type AnswerForm = 'logprobs' | 'prompt_logprobs' | 'both';
/** Whose words a too-long prompt is refused in. */
export type RefusalForm = 'vllm' | 'tgi' | 'llama.cpp';
/** What answers a request: a loaded model, or an engine worker (EngineClient), one request at a time each. */
export interface Scorer {
  analyze(text: string, options: AnalyzeOptions): Promise<Analysis>;
}
/** What the server does with a completions request instead of answering it (`full`: the answer it would give). */
export type Fault = (res: http.ServerResponse, full: string) => void;

export interface ServerState {
  form: AnswerForm;
  faults: Fault[];
  /** Requests of any kind received. */
  requests: number;
  /** Completions requests received. */
  completions: number;
  open: number;
  mostOpen: number;
  /** The model answers claim to come from. */
  answerModel: string;
  /** Most alternatives the server gives (a server started with a lower limit). */
  maxAlternatives: number;
  /** Milliseconds each request is held back before it is answered. */
  delayMs: number;
  /** The prompts received, in order. */
  prompts: string[];
  /** Most tokens of a prompt it takes (the model's BOS included); the listed context unless lowered. */
  acceptsTokens: number;
  /** How a longer prompt is refused. */
  refusal: RefusalForm;
  /** Prompts refused as too long. */
  refused: number;
}

export interface CompletionsServer {
  endpoint: string;
  state: ServerState;
  reset(): void;
  close(): Promise<void>;
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Python's string indices: code points. */
function codePoints(text: string, unit: number): number {
  return [...text.slice(0, unit)].length;
}

/**
 * The text a server decodes each token of the prompt to: a token that holds part of a character
 * decodes to U+FFFD. The engine gives a token the span of every character its bytes touch, so
 * such a token shares a character with its neighbour.
 */
function decoded(a: Analysis): string[] {
  const t = a.tokens;
  const shares = (i: number) =>
    !t[i].special && ((i > 0 && !t[i - 1].special && t[i - 1].end > t[i].start) || (i + 1 < t.length && !t[i + 1].special && t[i + 1].start < t[i].end));
  return t.map((token, i) => (shares(i) ? '\ufffd' : token.text));
}

/** A completions answer as vLLM writes it, from the engine's analysis of the prompt. */
function answer(a: Analysis, prompt: string, k: number, state: ServerState): unknown {
  const n = a.tokens.length;
  const texts = decoded(a);
  const kk = Math.min(k, state.maxAlternatives);
  const top = (i: number) => Array.from({ length: kk }, (_, j) => ({ id: a.topIds[(i - 1) * a.topK + j], p: a.topProbs[(i - 1) * a.topK + j] }));
  const logprobs = {
    tokens: texts,
    token_logprobs: a.tokens.map((_, i) => (i === 0 ? null : Math.log(a.prob[i]))),
    top_logprobs: a.tokens.map((_, i) => {
      if (i === 0) return null;
      const entries: [string, number][] = top(i).map(({ id, p }) => [a.pieces[id], Math.log(p)]);
      // vLLM lists the prompt's token after the top k when it is not among them.
      if (a.rank[i] > kk) entries.push([texts[i], Math.log(a.prob[i])]);
      return Object.fromEntries(entries);
    }),
    text_offset: a.tokens.map((t) => codePoints(prompt, t.start)),
  };
  const promptLogprobs = a.tokens.map((t, i) => {
    if (i === 0) return null;
    const entries: Record<string, { logprob: number; rank: number; decoded_token: string }> = {};
    entries[t.id] = { logprob: Math.log(a.prob[i]), rank: a.rank[i], decoded_token: texts[i] };
    top(i).forEach(({ id, p }, j) => (entries[id] = { logprob: Math.log(p), rank: j + 1, decoded_token: a.pieces[id] }));
    return entries;
  });
  const form = state.form;
  const choice = {
    index: 0,
    text: prompt,
    finish_reason: 'length',
    logprobs: form !== 'prompt_logprobs' ? logprobs : null,
    ...(form !== 'logprobs' ? { prompt_logprobs: promptLogprobs } : {}),
  };
  return {
    id: 'cmpl-1',
    object: 'text_completion',
    created: 0,
    model: state.answerModel,
    choices: [choice],
    usage: { prompt_tokens: n, completion_tokens: 0, total_tokens: n },
  };
}

/** The refusal of a prompt of `tokens` tokens by a server of `context`, as each server words it (see contextRefusal in the client). */
function refuse(res: http.ServerResponse, form: RefusalForm, context: number, tokens: number): void {
  if (form === 'vllm') {
    return json(res, 400, {
      object: 'error',
      message: `This model's maximum context length is ${context} tokens. However, you requested ${tokens} tokens (${tokens} in the messages, 0 in the completion). Please reduce the length of the messages or completion.`,
      type: 'BadRequestError',
      param: null,
      code: 400,
    });
  }
  if (form === 'tgi')
    return json(res, 422, {
      error: `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= ${context}. Given: ${tokens} \`inputs\` tokens and 0 \`max_new_tokens\``,
      error_type: 'validation',
    });
  json(res, 400, {
    error: {
      code: 400,
      message: 'the request exceeds the available context size, try increasing it',
      type: 'exceed_context_size_error',
      n_prompt_tokens: tokens,
      n_ctx: context,
    },
  });
}

/**
 * Starts the server for `model` (or several scorers of the same model and its `folder`), served as
 * `name` with a context of `context` tokens, asking for `Authorization: Bearer apiKey` when given.
 */
export async function startCompletionsServer(
  model: LoadedModel | readonly Scorer[],
  options: { name: string; apiKey?: string; context: number; folder?: string },
): Promise<CompletionsServer> {
  const initial = (): ServerState => ({
    form: 'both',
    faults: [],
    requests: 0,
    completions: 0,
    open: 0,
    mostOpen: 0,
    answerModel: options.name,
    maxAlternatives: Infinity,
    delayMs: 0,
    prompts: [],
    acceptsTokens: options.context,
    refusal: 'vllm',
    refused: 0,
  });
  const state = initial();
  const scorers: readonly Scorer[] = Array.isArray(model) ? model : [model as LoadedModel];
  const folder = options.folder ?? (model as LoadedModel).info.folder;
  const tokenizer = new TextTokenizer(
    JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer.json'), 'utf8')),
    JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer_config.json'), 'utf8')),
  );
  // One analysis at a time per scorer (an engine's session is not shared between concurrent
  // runs); a request takes the first scorer free, in the order requests came.
  const free = [...scorers];
  const waiting: ((s: Scorer) => void)[] = [];
  const analyse = async (prompt: string, k: number): Promise<Analysis> => {
    const scorer = free.shift() ?? (await new Promise<Scorer>((resolve) => waiting.push(resolve)));
    try {
      return await scorer.analyze(prompt, { topK: k });
    } finally {
      const next = waiting.shift();
      if (next) next(scorer);
      else free.push(scorer);
    }
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    state.requests++;
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`)
      return json(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error' } });
    if (req.method === 'GET' && req.url === '/v1/models')
      return json(res, 200, { object: 'list', data: [{ id: options.name, object: 'model', max_model_len: options.context }] });
    if (req.method !== 'POST' || req.url !== '/v1/completions') return json(res, 404, { detail: 'Not Found' });
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      model: string;
      prompt: string;
      echo: boolean;
      logprobs: number;
      max_tokens: number;
    };
    if (request.model !== options.name) return json(res, 404, { error: { message: `The model \`${request.model}\` does not exist.` } });
    if (request.echo !== true || request.max_tokens !== 0 || !(request.logprobs > 0))
      return json(res, 400, { error: { message: 'this server scores prompts only' } });
    state.completions++;
    state.prompts.push(request.prompt);
    // Counted before anything runs, as servers do: a longer prompt is refused, never cut.
    const tokens = tokenizer.encode(request.prompt).tokens.length;
    if (tokens > state.acceptsTokens) {
      state.refused++;
      return refuse(res, state.refusal, state.acceptsTokens, tokens);
    }
    state.open++;
    state.mostOpen = Math.max(state.mostOpen, state.open);
    try {
      // Held back before the analysis, which blocks this thread (WebAssembly on one thread): the
      // requests sent together are all received meanwhile.
      if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
      const a = await analyse(request.prompt, request.logprobs);
      const full = JSON.stringify(answer(a, request.prompt, request.logprobs, state));
      const fault = state.faults.shift();
      if (fault) return fault(res, full);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(full) });
      res.end(full);
    } finally {
      state.open--;
    }
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(e) } });
      else res.destroy();
    });
  });
  // Idle connections stay open for the whole test: the engine's analyses block this thread for
  // long stretches, and a server closing an idle connection then races the client reusing it.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    reset: () => Object.assign(state, initial()),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
