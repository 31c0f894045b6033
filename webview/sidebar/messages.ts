// What the host sends, checked before it is believed: a malformed message is dropped here
// rather than breaking a section halfway through drawing.
import type { ToSideView } from '../../src/shared/protocol';
import { isObject, isIndex } from '../shared/guards';

export function isToSideView(raw: unknown): raw is ToSideView {
  if (!isObject(raw)) return false;
  switch (raw.type) {
    case 'model': {
      const s = raw.state;
      return (
        isObject(s) &&
        Array.isArray(s.recent) &&
        s.recent.every((r) => typeof r === 'string') &&
        typeof s.cacheBytes === 'number' &&
        (s.model === undefined || isModel(s.model))
      );
    }
    case 'analysing':
    case 'empty':
      return typeof raw.text === 'string';
    case 'analysis': {
      const v = raw.view;
      return (
        isObject(v) && isIndex(v.id) && isIndex(v.layers) && Array.isArray(v.tokens) && Array.isArray(v.heads) && Array.isArray(v.notes) && isObject(v.document)
      );
    }
    case 'neurons':
      return isIndex(raw.id) && isIndex(raw.layer) && isIndex(raw.token) && Array.isArray(raw.neurons);
    case 'pinned':
      return typeof raw.pinned === 'boolean';
    default:
      return false;
  }
}

function isModel(m: unknown): boolean {
  return isObject(m) && typeof m.name === 'string' && isIndex(m.layers) && Array.isArray(m.attention) && Array.isArray(m.notes);
}
