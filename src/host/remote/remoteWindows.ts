// A document window scored by a completions server, in the per-token form the hover, the heatmap
// and the status bar read (TokenInfo), and the size of the windows a server's context allows.
// Without the server's tokenizer, a window is cut into requests by its UTF-8 bytes, which bound
// its tokens under any byte-level or byte-fallback tokenizer (a CJK character is 3 bytes, an emoji
// 4, and a token never covers less than a byte); a server that still refuses a request as too long
// gets it again in smaller parts, sized by the counts it gave. Pure: no `vscode`.
import { TOP_K, windowBudget } from '../probabilities/budgets';
import type { Budget, TokenInfo, WindowPlan } from '../probabilities/documentWindows';
import { RemoteError, type CompletionsClient, type ScoredPrompt } from './completionsClient';
import { isPartial, type RemoteToken } from './remoteTokens';

/**
 * Alternatives asked of the server per token: enough to tell GLTR's top 10 when the server gives
 * ranks only within them (the echo form); vLLM allows 20 unless started with more.
 */
export const REMOTE_TOP_K = 10;
/** The context assumed when the server does not say (GET /v1/models without max_model_len). */
export const DEFAULT_CONTEXT_TOKENS = 2048;
/** Windows are sized for at most this much context: longer ones would make a hover wait on a large request. */
export const MAX_WINDOW_CONTEXT_TOKENS = 4096;

/**
 * Tokens a request keeps free beyond its text's bound: the BOS and other tokens a server puts in
 * front of a prompt, and the one token asked for from a server that refuses max_tokens 0.
 */
export const RESERVED_TOKENS = 8;
/** A request is not cut below this many bytes: a server that refuses so little has another problem. */
const MIN_REQUEST_BYTES = 64;
/** Times the parts of one window are cut smaller after a server refused them as too long. */
const TOO_LONG_RETRIES = 4;

/**
 * Windows for a server whose model takes `contextTokens`, in characters. The local budget for half
 * the context keeps a window (owned text and its context) at 0.875 characters per position: one
 * request for text of one byte a character (code, Latin-script prose); text of more bytes a
 * character is cut into several requests by requestParts.
 */
export function remoteBudget(contextTokens: number | undefined): Budget {
  return windowBudget(Math.floor(Math.min(contextTokens ?? DEFAULT_CONTEXT_TOKENS, MAX_WINDOW_CONTEXT_TOKENS) / 2));
}

/** The most bytes of text one request may carry for a model of `contextTokens`: its bound on the request's tokens. */
export function requestByteLimit(contextTokens: number | undefined): number {
  return Math.min(contextTokens ?? DEFAULT_CONTEXT_TOKENS, MAX_WINDOW_CONTEXT_TOKENS) - RESERVED_TOKENS;
}

/** UTF-8 bytes before each UTF-16 index of `text` (length + 1 entries); a lone surrogate is sent as U+FFFD, 3 bytes. */
function utf8Offsets(text: string): Int32Array {
  const out = new Int32Array(text.length + 1);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let bytes = 3;
    if (c < 0x80) bytes = 1;
    else if (c < 0x800) bytes = 2;
    else if (isHigh(c) && isLow(text.charCodeAt(i + 1))) bytes = 4;
    else if (isLow(c) && isHigh(text.charCodeAt(i - 1))) bytes = 0; // counted with its high half
    out[i + 1] = out[i] + bytes;
  }
  return out;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
/** Whether a request may start or end at `i`: not between the halves of a surrogate pair. */
const atCharacter = (text: string, i: number) => !(isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1)));
/** Where a cut loses least: after a line, else after a space or a sentence's punctuation (tokenizers split there). */
const AFTER_LINE = /\n/;
const AFTER_PAUSE = /[\s.,;:!?)\]}。，、；：！？）」』】]/;

/** One request for part of a window's text: it sends [contextStart, ownedEnd) and keeps the tokens starting in [ownedStart, ownedEnd). */
export interface RequestPart {
  contextStart: number;
  ownedStart: number;
  ownedEnd: number;
}

/**
 * The requests that score the owned text [ownedFrom, text.length) of a window's text, each within
 * `byteLimit` UTF-8 bytes: the whole window when it fits; else its owned text in one request (when
 * it leaves a quarter of the limit for context) or in parts of about half the limit, cut after a
 * line or a pause, each reading as much of the text before it as context as fits.
 */
export function requestParts(text: string, ownedFrom: number, byteLimit: number): RequestPart[] {
  const bytes = utf8Offsets(text);
  const end = text.length;
  if (ownedFrom >= end) return [];
  if (bytes[end] <= byteLimit) return [{ contextStart: 0, ownedStart: ownedFrom, ownedEnd: end }];
  const owned = bytes[end] - bytes[ownedFrom];
  const count = owned <= byteLimit * 0.75 ? 1 : Math.ceil(owned / Math.floor(byteLimit / 2));
  const parts: RequestPart[] = [];
  for (let j = 1, start = ownedFrom; j <= count && start < end; j++) {
    const stop = j === count ? end : cutBefore(text, bytes, start, bytes[ownedFrom] + Math.round((owned * j) / count));
    parts.push({ contextStart: contextFrom(text, bytes, stop, byteLimit), ownedStart: start, ownedEnd: stop });
    start = stop;
  }
  return parts;
}

/** A cut after `start` at or before the byte `target`: after a line or a pause in the part's second half if there is one. */
function cutBefore(text: string, bytes: Int32Array, start: number, target: number): number {
  let at = start + 1;
  while (at < text.length && bytes[at + 1] <= target) at++;
  if (!atCharacter(text, at)) at += at > start + 1 ? -1 : 1;
  const half = start + Math.ceil((at - start) / 2);
  for (const pause of [AFTER_LINE, AFTER_PAUSE]) {
    for (let k = at; k > half; k--) if (pause.test(text[k - 1]) && atCharacter(text, k)) return k;
  }
  return at;
}

/** The earliest start of a request ending at `stop` within `byteLimit` bytes, at a character. */
function contextFrom(text: string, bytes: Int32Array, stop: number, byteLimit: number): number {
  let lo = 0;
  let hi = stop;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bytes[stop] - bytes[mid] <= byteLimit) hi = mid;
    else lo = mid + 1;
  }
  return atCharacter(text, lo) ? lo : lo + 1;
}

/**
 * The tokens of a scored window that start in its owned region, in document offsets. `prompt`
 * is the window's text, [plan.contextStart, plan.ownedEnd) of the document.
 */
export function remoteWindowTokens(scored: ScoredPrompt, plan: WindowPlan, prompt: string, server: string): TokenInfo[] {
  const remote = { model: scored.model, server };
  const out: TokenInfo[] = [];
  for (const t of sharedCharacters(scored.tokens)) {
    const start = plan.contextStart + t.start;
    if (start < plan.ownedStart || start >= plan.ownedEnd || t.end === t.start) continue;
    const predicted = t.logprob !== null;
    out.push({
      start,
      end: plan.contextStart + t.end,
      id: t.id ?? -1,
      // The text the token covers, as the local model's tokens give it (the server's decoding of
      // part of a character would be a replacement character).
      text: prompt.slice(t.start, t.end),
      prob: predicted ? Math.exp(t.logprob!) : NaN,
      rank: t.rank ?? 0,
      rankAbove: predicted && t.rank === undefined ? Math.min(REMOTE_TOP_K, t.top.length) : undefined,
      // The entropy needs the whole distribution; a server gives its top k.
      entropy: NaN,
      top: t.top.slice(0, TOP_K).map((alt) => ({ text: alt.text, prob: Math.exp(alt.logprob) })),
      firstTopRow: -1,
      lensRows: 0,
      remote,
    });
  }
  return out;
}

/**
 * The tokens with each part of a character its span: the tokens of a character a tokenizer spells
 * in several (a CJK character in byte tokens, an emoji) are placed with the character on the last
 * of them and nothing on the others; each gets the character's span, as the local model's tokens
 * have it, so that the hover and the heatmap find them.
 */
function sharedCharacters(tokens: readonly RemoteToken[]): RemoteToken[] {
  const out = [...tokens];
  for (let i = out.length - 1; i >= 0; i--) {
    const t = out[i];
    const next = out[i + 1];
    if (t.end === t.start && isPartial(t.text) && next && isPartial(next.text) && next.start === t.end && next.end > next.start)
      out[i] = { ...t, end: next.end };
  }
  return out;
}

/**
 * Scores one window on the server and returns its tokens (see remoteWindowTokens): in one request,
 * or in several (requestParts) that the client keeps windowsInFlight at a time at the server.
 */
export async function scoreWindow(client: CompletionsClient, prompt: string, plan: WindowPlan, signal?: AbortSignal): Promise<TokenInfo[]> {
  // An empty document has no tokens to score.
  if (prompt.length === 0) return [];
  const { contextTokens } = await client.servedModel(signal);
  return scoreOwned(client, prompt, plan, plan.ownedStart - plan.contextStart, prompt.length, requestByteLimit(contextTokens), signal, 0);
}

/** Scores the owned text [from, to) of a window's text, reading context from its start, in requests of at most `byteLimit` bytes. */
async function scoreOwned(
  client: CompletionsClient,
  prompt: string,
  plan: WindowPlan,
  from: number,
  to: number,
  byteLimit: number,
  signal: AbortSignal | undefined,
  tries: number,
): Promise<TokenInfo[]> {
  const text = prompt.slice(0, to);
  const parts = requestParts(text, from, byteLimit);
  const scored = await Promise.all(
    parts.map(async (part) => {
      const sent = text.slice(part.contextStart, part.ownedEnd);
      const at = plan.contextStart;
      const sub: WindowPlan = { contextStart: at + part.contextStart, ownedStart: at + part.ownedStart, ownedEnd: at + part.ownedEnd };
      try {
        return remoteWindowTokens(await client.scorePrompt(sent, REMOTE_TOP_K, signal), sub, sent, client.server);
      } catch (e) {
        if (!(e instanceof RemoteError) || e.kind !== 'too-long') throw e;
        const sentBytes = Buffer.byteLength(sent);
        const smaller = smallerLimit(e, byteLimit, sentBytes);
        if (tries >= TOO_LONG_RETRIES || smaller < MIN_REQUEST_BYTES) {
          throw new RemoteError(
            'too-long',
            `${e.message} Model Lens sent it ${sentBytes} bytes of text and tried ${tries} smaller part${tries === 1 ? '' : 's'}: check the context the server runs with (vLLM --max-model-len, llama.cpp -c divided by --parallel, TGI --max-input-tokens).`,
            e.server,
            false,
            e.refusal,
          );
        }
        return scoreOwned(client, prompt, plan, part.ownedStart, part.ownedEnd, smaller, signal, tries + 1);
      }
    }),
  );
  return scored.flat();
}

/**
 * The byte limit for the parts of a request the server refused as too long: within the context it
 * said it has, at the tokens per byte it counted where that was more than one, and at most half the
 * limit that was refused when it said neither.
 */
function smallerLimit(e: RemoteError, byteLimit: number, sentBytes: number): number {
  const { contextTokens, promptTokens } = e.refusal ?? {};
  const fits = contextTokens !== undefined ? Math.min(byteLimit, contextTokens - RESERVED_TOKENS) : byteLimit;
  const perByte = promptTokens !== undefined && sentBytes > 0 ? Math.max(1, promptTokens / sentBytes) : 1;
  const next = Math.floor(fits / perByte);
  return next < byteLimit ? next : Math.floor(byteLimit / 2);
}
