import { describe, expect, it } from 'vitest';
import { isToSideView } from '../../../webview/sidebar/messages';
import { DEFAULT_STATE, restoreState, selectionFor } from '../../../webview/sidebar/state';

describe('side panel state', () => {
  it('starts from the defaults', () => {
    expect(restoreState(undefined)).toEqual(DEFAULT_STATE);
    expect(restoreState('junk')).toEqual(DEFAULT_STATE);
  });

  it('keeps what is valid and drops the rest', () => {
    const s = restoreState({
      open: { model: false, lens: 'yes' },
      sort: { key: 'induction', dir: 'desc' },
      selected: { viewId: 4, token: 2, row: 3 },
      rowScale: true,
      scrollY: 120,
      scrollX: { activations: 40, lens: -3 },
    });
    expect(s.open).toEqual({ model: false, activations: true, lens: true, heads: true });
    expect(s.sort).toEqual({ key: 'induction', dir: 'desc' });
    expect(s.selected).toEqual({ viewId: 4, token: 2, row: 3 });
    expect(s.rowScale).toBe(true);
    expect(s.scrollY).toBe(120);
    expect(s.scrollX).toEqual({ activations: 40, lens: 0 });
    expect(restoreState({ sort: { key: 'constructor', dir: 'asc' } }).sort).toEqual(DEFAULT_STATE.sort);
    expect(restoreState({ selected: { viewId: 1, token: -1, row: 0 } }).selected).toBeNull();
  });

  it('never shares the defaults with a restored state', () => {
    restoreState({}).open.model = false;
    expect(DEFAULT_STATE.open.model).toBe(true);
  });

  it('brings a selected cell back only for its own analysis, when it still fits', () => {
    const s = restoreState({ selected: { viewId: 4, token: 2, row: 3 } });
    // Row 3 is the stream after block 2: it needs 3 layers.
    expect(selectionFor(s, 4, 10, 3)).toEqual({ viewId: 4, token: 2, row: 3 });
    expect(selectionFor(s, 5, 10, 3)).toBeNull();
    expect(selectionFor(s, 4, 2, 3)).toBeNull();
    expect(selectionFor(s, 4, 10, 2)).toBeNull();
  });
});

describe('messages from the host', () => {
  it('accepts the messages the host sends', () => {
    expect(isToSideView({ type: 'pinned', pinned: true })).toBe(true);
    expect(isToSideView({ type: 'analysing', text: 'x' })).toBe(true);
    expect(isToSideView({ type: 'model', state: { recent: [], cacheBytes: 0 } })).toBe(true);
    expect(isToSideView({ type: 'neurons', id: 1, layer: 0, token: 2, neurons: [] })).toBe(true);
    expect(isToSideView({ type: 'analysis', view: { id: 1, layers: 2, tokens: [], heads: [], notes: [], document: { uri: 'u', name: 'n' } } })).toBe(true);
  });

  it('drops malformed ones', () => {
    expect(isToSideView(null)).toBe(false);
    expect(isToSideView({ type: 'pinned', pinned: 'yes' })).toBe(false);
    expect(isToSideView({ type: 'model', state: { recent: [3], cacheBytes: 0 } })).toBe(false);
    expect(isToSideView({ type: 'model', state: { recent: [], cacheBytes: 0, model: { name: 'm' } } })).toBe(false);
    expect(isToSideView({ type: 'analysis', view: { id: -1, layers: 2, tokens: [], heads: [], notes: [], document: {} } })).toBe(false);
    expect(isToSideView({ type: 'neurons', id: 1, layer: 0.5, token: 2, neurons: [] })).toBe(false);
    expect(isToSideView({ type: 'show' })).toBe(false);
  });
});
