// The panel's view state. VS Code keeps it (as JSON) while the panel lives, so a hidden panel or
// a reloaded window comes back as the user left it; the host then re-sends the data with `show`.
import type { AblationMode, AttentionView, HeadChoice, HeadRef } from '../../src/shared/protocol';
import type { ScaleKind } from '../shared/colorScale';
import { isIndex } from '../shared/guards';

export type Tab = 'model' | 'head' | 'math';
export const TABS: readonly Tab[] = ['model', 'head', 'math'];

export interface PanelState {
  /** The analysis the rest refers to; a `show` for another one may apply its `focus`. */
  viewId: number | null;
  tab: Tab;
  layer: number;
  head: HeadChoice;
  scale: ScaleKind;
  /** Leave token 0 (usually BOS, an attention sink) out of the colour range. */
  ignoreFirst: boolean;
  /** Show the keys before the explained tokens too. */
  includeContext: boolean;
  /** Selected query, as an index into tokens; null when none. */
  query: number | null;
  /** The math view shows every dimension of Q, K, V instead of the first few. */
  allDims: boolean;
  /** What is explained, so that after a window reload the host can explain it again. */
  explained: { uri: string; selection: { start: number; end: number } } | null;
  /** Heads switched off for this analysis (the host runs the text again without them). */
  ablated: HeadRef[];
  ablationMode: AblationMode;
  /** Pinned from the title bar (the host decides; kept here so that a reloaded window restores it). */
  pinned: boolean;
}

export const DEFAULT_STATE: PanelState = {
  viewId: null,
  tab: 'model',
  layer: 0,
  head: 0,
  scale: 'linear',
  ignoreFirst: false,
  includeContext: false,
  query: null,
  allDims: false,
  explained: null,
  ablated: [],
  ablationMode: 'zero',
  pinned: false,
};

/** A valid state from whatever getState() returned (an older version, or nothing). */
export function restoreState(raw: unknown): PanelState {
  const s: PanelState = { ...DEFAULT_STATE };
  if (!raw || typeof raw !== 'object') return s;
  const r = raw as Record<string, unknown>;
  if (isIndex(r.viewId)) s.viewId = r.viewId;
  if (TABS.includes(r.tab as Tab)) s.tab = r.tab as Tab;
  if (isIndex(r.layer)) s.layer = r.layer;
  if (isIndex(r.head) || r.head === 'mean' || r.head === 'rollout') s.head = r.head as HeadChoice;
  if (r.scale === 'linear' || r.scale === 'log') s.scale = r.scale;
  if (typeof r.ignoreFirst === 'boolean') s.ignoreFirst = r.ignoreFirst;
  if (typeof r.includeContext === 'boolean') s.includeContext = r.includeContext;
  if (isIndex(r.query)) s.query = r.query;
  if (typeof r.allDims === 'boolean') s.allDims = r.allDims;
  if (Array.isArray(r.ablated))
    s.ablated = r.ablated.filter((h: Partial<HeadRef> | null) => isIndex(h?.layer) && isIndex(h?.head)).map((h: HeadRef) => ({ layer: h.layer, head: h.head }));
  if (r.ablationMode === 'zero' || r.ablationMode === 'mean') s.ablationMode = r.ablationMode;
  if (typeof r.pinned === 'boolean') s.pinned = r.pinned;
  const e = r.explained as PanelState['explained'];
  if (e && typeof e.uri === 'string' && isIndex(e.selection?.start) && isIndex(e.selection?.end))
    s.explained = { uri: e.uri, selection: { start: e.selection.start, end: e.selection.end } };
  return s;
}

/**
 * The state made valid for a newly shown view: layer, head and query clamped to what it has.
 * A view the state has not seen yet (another id) drops the selection and applies its `focus`.
 */
export function fitStateToView(state: PanelState, view: AttentionView): PanelState {
  const s = { ...state };
  const fresh = s.viewId !== view.id;
  s.viewId = view.id;
  const first = view.tokens[view.queryStart];
  const last = view.tokens[view.queryStart + view.queryCount - 1];
  if (first && last) s.explained = { uri: view.document.uri, selection: { start: first.start, end: last.end } };
  if (fresh) {
    s.query = null;
    // Heads are switched off for one analysis: another text starts with every head on.
    s.ablated = [];
    if (view.focus) {
      s.layer = view.focus.layer;
      s.head = view.focus.head;
      s.tab = 'head';
    }
  }
  const layers = Math.max(1, view.model.layers);
  const heads = Math.max(1, view.model.heads);
  s.layer = Math.min(Math.max(0, s.layer), layers - 1);
  if (typeof s.head === 'number') s.head = Math.min(Math.max(0, s.head), heads - 1);
  if (s.head === 'rollout' && !view.rollout) s.head = 'mean';
  s.ablated = s.ablated.filter((h) => h.layer < layers && h.head < heads && view.ablatable[h.layer]);
  const q = s.query;
  if (q !== null && (q < view.queryStart || q >= view.queryStart + view.queryCount)) s.query = null;
  return s;
}

/** Whether a head is among the switched-off ones. */
export function isAblated(ablated: readonly HeadRef[], layer: number, head: number): boolean {
  return ablated.some((h) => h.layer === layer && h.head === head);
}

/** The switched-off heads with one head switched on or off, in layer then head order. */
export function toggleAblated(ablated: readonly HeadRef[], layer: number, head: number): HeadRef[] {
  const next = isAblated(ablated, layer, head) ? ablated.filter((h) => h.layer !== layer || h.head !== head) : [...ablated, { layer, head }];
  return next.sort((a, b) => a.layer - b.layer || a.head - b.head);
}
