import { describe, expect, it } from 'vitest';
import { formatCell, formatPercent, formatProb, formatRanges, formatScore, formatSci, quoted, tokenLabel, visibleText } from '../../../webview/shared/format';
import { BADGE_THRESHOLD, badges, scoreEntries } from '../../../webview/shared/headTypes';

describe('visibleText', () => {
  it('shows whitespace', () => {
    expect(visibleText(' foo')).toBe('·foo');
    expect(visibleText('\n\t')).toBe('↵→');
    expect(visibleText('\r\n')).toBe('␍↵');
    expect(visibleText('a\u00a0b')).toBe('a⍽b');
  });

  it('shows control characters as control pictures and leaves markup alone (it goes in as text)', () => {
    expect(visibleText('\u0000\u001b\u007f')).toBe('␀␛␡');
    expect(visibleText('<img src=x onerror=alert(1)>')).toBe('<img·src=x·onerror=alert(1)>');
    expect(visibleText('</script>')).toBe('</script>');
  });

  it('keeps astral characters whole', () => {
    expect(visibleText('😀 ')).toBe('😀·');
  });

  it('quotes text so that its spaces show', () => {
    expect(quoted(' a"b')).toBe('" a\\"b"');
  });

  it('tokenLabel marks the empty token', () => {
    expect(tokenLabel('')).toBe('∅');
    expect(tokenLabel(' x')).toBe('·x');
  });
});

describe('numbers', () => {
  it('formats probabilities', () => {
    expect(formatProb(null)).toBe('—');
    expect(formatProb(0.4213)).toBe('42.1%');
    expect(formatProb(0.0053)).toBe('0.53%');
    expect(formatProb(0.00001)).toBe('<0.01%');
    expect(formatProb(0)).toBe('0%');
  });

  it('formats scale ends as whole percentages', () => {
    expect([0, 0.5, 1].map(formatPercent)).toEqual(['0%', '50%', '100%']);
    expect(formatPercent(0.123)).toBe('12%');
    expect(formatPercent(NaN)).toBe('—');
  });

  it('formats errors in short scientific notation', () => {
    expect(formatSci(3e-8)).toBe('3e−8');
    expect(formatSci(2.44e-7)).toBe('2.4e−7');
    expect(formatSci(0)).toBe('0');
    expect(formatSci(1)).toBe('1');
    expect(formatSci(Infinity)).toBe('∞');
  });

  it('formats table cells with a real minus sign and no negative zero', () => {
    expect(formatCell(-1.234)).toBe('−1.23');
    expect(formatCell(-0.001)).toBe('0.00');
    expect(formatCell(-Infinity)).toBe('−∞');
    expect(formatCell(0.5, 3)).toBe('0.500');
  });

  it('formats scores with n/a for NaN', () => {
    expect(formatScore(NaN)).toBe('n/a');
    expect(formatScore(0.456)).toBe('0.46');
  });
});

describe('grouping', () => {
  it('groups layer indices into ranges', () => {
    expect(formatRanges([0, 1, 2, 3])).toBe('0–3');
    expect(formatRanges([5, 1, 3, 4])).toBe('1, 3–5');
    expect(formatRanges([])).toBe('');
  });
});

describe('head types', () => {
  it('names the scores and badges strong ones', () => {
    const scores = { previousToken: 0.85, firstToken: 0.1, self: 0.4, induction: NaN };
    expect(scoreEntries(scores)).toEqual([
      ['previous-token', '0.85'],
      ['first-token (sink)', '0.10'],
      ['self', '0.40'],
      ['induction', 'n/a'],
    ]);
    expect(badges(scores)).toEqual(['prev', 'self']);
    expect(badges(undefined)).toEqual([]);
    expect(badges({ previousToken: BADGE_THRESHOLD - 1e-9, firstToken: BADGE_THRESHOLD, self: 0, induction: 0 })).toEqual(['sink']);
  });
});
