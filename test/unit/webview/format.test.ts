import { describe, expect, it } from 'vitest';
import { formatCell, formatProb, formatRanges, formatScore, formatSci, formatWeight, rankBucket, sourceLines, tokenLabel, visibleText } from '../../../webview/attention/format';

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

  it('formats weights', () => {
    expect(formatWeight(0.12345)).toBe('0.123');
    expect(formatWeight(0)).toBe('0');
    expect(formatWeight(0.00042)).toBe('4.2e−4');
    expect(formatWeight(NaN)).toBe('—');
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

  it('summarises layer sources, skipping plain softmax', () => {
    const lines = sourceLines([
      { kind: 'softmax' },
      { kind: 'recomputed', op: 'Attention', detail: 'packed QKV' },
      { kind: 'recomputed', op: 'Attention', detail: 'packed QKV' },
      { kind: 'unavailable', reason: 'no inputs' },
    ]);
    expect(lines).toEqual([
      { kind: 'recomputed', text: 'Layers 1–2: attention recomputed from the input of the fused Attention operator (packed QKV)' },
      { kind: 'unavailable', text: 'Layer 3: attention unavailable: no inputs' },
    ]);
  });

  it('buckets ranks as GLTR does', () => {
    expect(rankBucket(1)).toBe('top1');
    expect(rankBucket(7)).toBe('top10');
    expect(rankBucket(100)).toBe('top100');
    expect(rankBucket(101)).toBe('rest');
    expect(rankBucket(null)).toBe('none');
  });
});

describe('head types', () => {
  it('names the scores and badges strong ones', async () => {
    const { badges, scoreEntries } = await import('../../../webview/attention/headTypes');
    const scores = { previousToken: 0.85, firstToken: 0.1, self: 0.4, induction: NaN };
    expect(scoreEntries(scores)).toEqual([
      ['previous-token', '0.85'],
      ['first-token (sink)', '0.10'],
      ['self', '0.40'],
      ['induction', 'n/a'],
    ]);
    expect(badges(scores)).toEqual(['prev', 'self']);
    expect(badges(undefined)).toEqual([]);
  });
});
