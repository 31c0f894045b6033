// The analyses the host keeps, so that asking again costs nothing: a least-recently-used cache
// bounded in bytes (analyses carry large typed arrays, so counting entries would bound nothing),
// and the key an analysis is kept under.
import type { Analysis, AnalyzeOptions } from '../engine/types';

/** Most bytes of typed arrays the host keeps in analyses. */
export const ANALYSIS_CACHE_BYTES = 256 * 1024 * 1024;

/**
 * The cache key of an analysis: the model file, every option (interventions included, so an
 * ablated run is never served for a plain one or the reverse) and the text. Undefined for a run
 * that patches in another run's values: its source tensors would make a huge key, and a patching
 * sweep uses each such run once.
 */
export function analysisKey(modelFile: string, text: string, options: AnalyzeOptions): string | undefined {
  if (options.interventions?.some((i) => i.source)) return undefined;
  return `${modelFile}\u0000${JSON.stringify(options)}\u0000${text}`;
}

export class ByteLruCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private total = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    this.delete(key);
    const bytes = this.sizeOf(value);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }
}

/** Bytes held by the typed arrays under a value (strings and small objects are not counted). */
export function typedArrayBytes(value: unknown, seen = new Set<ArrayBufferLike>()): number {
  if (ArrayBuffer.isView(value)) {
    if (seen.has(value.buffer)) return 0;
    seen.add(value.buffer);
    return value.buffer.byteLength;
  }
  if (!value || typeof value !== 'object') return 0;
  let total = 0;
  for (const v of Object.values(value)) total += typedArrayBytes(v, seen);
  return total;
}

/** Analyses by model file, text and options (see analysisKey), within `maxBytes`. */
export class AnalysisCache {
  private readonly entries: ByteLruCache<Analysis>;

  constructor(maxBytes = ANALYSIS_CACHE_BYTES) {
    this.entries = new ByteLruCache<Analysis>(maxBytes, typedArrayBytes);
  }

  get bytes(): number {
    return this.entries.bytes;
  }

  /**
   * The analysis of `text` with `options` on the model file `modelFile`: the one kept, or the one
   * `analyze` makes, then kept (unless analysisKey keeps none for it).
   */
  async answer(modelFile: string, text: string, options: AnalyzeOptions, analyze: () => Promise<Analysis>): Promise<{ analysis: Analysis; cached: boolean }> {
    const key = analysisKey(modelFile, text, options);
    const kept = key === undefined ? undefined : this.entries.get(key);
    if (kept) return { analysis: kept, cached: true };
    const analysis = await analyze();
    if (key !== undefined) this.entries.set(key, analysis);
    return { analysis, cached: false };
  }

  /** Forgets every analysis: the model, its backend or the settings changed. */
  clear(): void {
    this.entries.clear();
  }
}
