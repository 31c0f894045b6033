import { describe, expect, it } from 'vitest';
import { tickLabels } from '../../../webview/shared/colorScale';
import { formatPercent, tooltipText } from '../../../webview/shared/format';

describe('legend ticks', () => {
  it("writes the scale's values with the given format", () => {
    const spec = { kind: 'linear', range: { min: 0, max: 1 } } as const;
    expect(tickLabels(spec, formatPercent)).toEqual(['0%', '50%', '100%']);
    expect(tickLabels({ kind: 'linear', range: { min: 0, max: 12.5 } }, (v) => v.toFixed(1))).toEqual(['0.0', '6.3', '12.5']);
  });

  it('marks the bottom of a log scale as holding everything below it', () => {
    expect(tickLabels({ kind: 'log', range: { min: 0.01, max: 1 }, floor: 0.01 }, (v) => v.toFixed(2))).toEqual(['≤0.01', '0.10', '1.00']);
  });

  it('has relative ends without a scale', () => {
    expect(tickLabels(null, formatPercent)).toEqual(['0', '', 'max']);
    expect(tickLabels(null, formatPercent, true)).toEqual(['10⁻⁴·max', '', 'max']);
  });
});

describe('tooltip text', () => {
  it('reads the lines as one sentence', () => {
    expect(tooltipText(['"a"', ['Row', 'embedding'], 'Click for more.'])).toBe('"a", Row embedding, Click for more.');
    expect(tooltipText([])).toBe('');
  });
});
