// The Why panel's bar geometry and its check of what the host sends.
import { describe, expect, it } from 'vitest';
import { barGeometry, largestMagnitude } from '../../../webview/why/bars';
import { isToWhyPanel } from '../../../webview/why/messages';

describe('bar geometry', () => {
  it('grows right from the middle toward the target and left toward the foil, the largest part to the edge', () => {
    expect(barGeometry(2, 2)).toEqual({ left: 50, width: 50 });
    expect(barGeometry(1, 2)).toEqual({ left: 50, width: 25 });
    expect(barGeometry(-2, 2)).toEqual({ left: 0, width: 50 });
    expect(barGeometry(-0.5, 2)).toEqual({ left: 37.5, width: 12.5 });
  });

  it('draws nothing for a value it cannot place', () => {
    expect(barGeometry(NaN, 1)).toEqual({ left: 50, width: 0 });
    expect(barGeometry(1, 0)).toEqual({ left: 50, width: 0 });
  });

  it('scales by the largest finite magnitude', () => {
    expect(largestMagnitude([0.5, -3, NaN, 2])).toBe(3);
    expect(largestMagnitude([])).toBe(0);
  });
});

describe('messages from the host', () => {
  const view = { id: 1, target: 3, foil: 7, measured: 1, sum: 1, token: {}, model: {}, document: {}, choices: [], parts: [], sources: [], notes: [] };

  it('accepts what the host sends', () => {
    expect(isToWhyPanel({ type: 'show', view })).toBe(true);
    expect(isToWhyPanel({ type: 'loading', text: 'x' })).toBe(true);
    expect(isToWhyPanel({ type: 'error', message: 'x' })).toBe(true);
  });

  it('drops what it cannot draw', () => {
    expect(isToWhyPanel({ type: 'show', view: { ...view, parts: undefined } })).toBe(false);
    expect(isToWhyPanel({ type: 'show', view: { ...view, measured: '1' } })).toBe(false);
    expect(isToWhyPanel({ type: 'loading' })).toBe(false);
    expect(isToWhyPanel(null)).toBe(false);
  });
});
