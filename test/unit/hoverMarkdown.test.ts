// The hover's Markdown for a token whose numbers are known.
import { describe, expect, it } from 'vitest';
import { hoverMarkdown, inlineCode, percent, visibleWhitespace } from '../../src/hover/hoverMarkdown';
import type { TokenInfo } from '../../src/probabilities/documentWindows';
import { perplexity, rankBucket } from '../../src/probabilities/tokenInfo';

const token: TokenInfo = {
  start: 10,
  end: 17,
  id: 42,
  text: ' return',
  prob: 0.25,
  rank: 2,
  entropy: 3.5,
  top: [
    { text: ' const', prob: 0.5 },
    { text: ' return', prob: 0.25 },
    { text: '`', prob: 0.1 },
  ],
  firstTopRow: 3,
  lensRows: 5,
};

describe('hoverMarkdown', () => {
  const markdown = hoverMarkdown(token, 'lens-tiny', { explainLine: 'command:modelLens.explainAttention?x' });

  it('shows probability, rank, surprisal in bits and entropy', () => {
    expect(markdown).toContain('| P(token \\| text before) | **25.0%** |');
    expect(markdown).toContain('| rank | 2 |');
    expect(markdown).toContain('| surprisal | 2.00 bits |');
    expect(markdown).toContain('| entropy of the prediction | 3.50 bits |');
  });

  it('lists the alternatives with bars, whitespace made visible', () => {
    // Bars are scaled to the most likely alternative; the percentages say how likely.
    expect(markdown).toContain('`████████████` 50.0% `·const`');
    expect(markdown).toContain('`██████░░░░░░` 25.0% `·return`');
    expect(markdown).toContain('`` ` ``'); // a backtick token in a longer fence
  });

  it('says where in the layers the token became the top prediction, and links to Explain Attention', () => {
    expect(markdown).toContain('first became the top prediction after layer 2 of 4');
    expect(markdown).toContain('[Explain attention on this line](command:modelLens.explainAttention?x)');
  });

  it('explains the first token, which nothing predicts', () => {
    expect(hoverMarkdown({ ...token, prob: NaN, rank: 0 }, 'm', { explainLine: 'x' })).toContain('nothing comes before it');
  });
});

describe('formatting helpers', () => {
  it('makes whitespace visible and fences any text as code', () => {
    expect(visibleWhitespace(' a\tb\r\nc\n')).toBe('·a→b↵c↵');
    expect(inlineCode('a``b')).toBe('```a``b```');
    expect(inlineCode('<img src=x onerror=alert(1)>')).toBe('`<img·src=x·onerror=alert(1)>`');
  });

  it('computes perplexity over predicted tokens and GLTR rank buckets', () => {
    expect(perplexity([token, { ...token, prob: 0.25 }, { ...token, prob: NaN }])).toBeCloseTo(4);
    expect([1, 10, 11, 100, 101, 1000, 1001, 0].map(rankBucket)).toEqual(['top10', 'top10', 'top100', 'top100', 'top1000', 'top1000', 'beyond', undefined]);
  });
});

describe('percent', () => {
  it('keeps two significant digits for small probabilities', () => {
    expect([0.5, 0.05, 0.00053, 1.2e-9].map(percent)).toEqual(['50.0%', '5.00%', '0.053%', '1.2e-7%']);
  });
});
