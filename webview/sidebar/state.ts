// The side panel's view state. The host does not keep the webview alive while it is hidden, so
// everything the user arranged is kept with setState and put back when the view comes again.
import type { SideSection } from '../../src/shared/protocol';
import { HEAD_SORT_KEYS, type HeadSortKey, type SortDir } from './sidebarData';
import { isIndex } from '../shared/guards';

export const SECTIONS: readonly SideSection[] = ['model', 'activations', 'lens', 'heads'];

export interface ActivationCell {
  /** The analysis the cell belongs to: another analysis drops it. */
  viewId: number;
  token: number;
  /** Row of the activations grid: 0 is the embedding, r ≥ 1 the stream after block r − 1. */
  row: number;
}

export interface SidebarState {
  open: Record<SideSection, boolean>;
  sort: { key: HeadSortKey; dir: SortDir };
  selected: ActivationCell | null;
  /** Colour each activation row by its own maximum rather than the whole grid's. */
  rowScale: boolean;
  scrollY: number;
  /** Horizontal scroll of the wide grids. */
  scrollX: { activations: number; lens: number };
}

export const DEFAULT_STATE: SidebarState = {
  open: { model: true, activations: true, lens: true, heads: true },
  sort: { key: 'layer', dir: 'asc' },
  selected: null,
  rowScale: false,
  scrollY: 0,
  scrollX: { activations: 0, lens: 0 },
};

const isOffset = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/** A valid state from whatever getState() returned (nothing, or what an older version stored). */
export function restoreState(raw: unknown): SidebarState {
  const s: SidebarState = structuredClone(DEFAULT_STATE);
  if (!raw || typeof raw !== 'object') return s;
  const r = raw as Record<string, unknown>;
  const open = r.open as Record<string, unknown> | undefined;
  if (open && typeof open === 'object') for (const k of SECTIONS) if (typeof open[k] === 'boolean') s.open[k] = open[k];
  const sort = r.sort as Record<string, unknown> | undefined;
  if (sort && HEAD_SORT_KEYS.includes(sort.key as HeadSortKey) && (sort.dir === 'asc' || sort.dir === 'desc'))
    s.sort = { key: sort.key as HeadSortKey, dir: sort.dir };
  const sel = r.selected as Record<string, unknown> | null | undefined;
  if (sel && isIndex(sel.viewId) && isIndex(sel.token) && isIndex(sel.row)) s.selected = { viewId: sel.viewId, token: sel.token, row: sel.row };
  if (typeof r.rowScale === 'boolean') s.rowScale = r.rowScale;
  if (isOffset(r.scrollY)) s.scrollY = r.scrollY;
  const x = r.scrollX as Record<string, unknown> | undefined;
  if (x && typeof x === 'object') {
    if (isOffset(x.activations)) s.scrollX.activations = x.activations;
    if (isOffset(x.lens)) s.scrollX.lens = x.lens;
  }
  return s;
}

/** The selected cell if it still fits an analysis of `tokens` tokens and `layers` layers with this id. */
export function selectionFor(state: SidebarState, viewId: number, tokens: number, layers: number): ActivationCell | null {
  const s = state.selected;
  return s && s.viewId === viewId && s.token < tokens && s.row <= layers ? s : null;
}
