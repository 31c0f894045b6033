// The hovers' Markdown for a token whose numbers are known, and for text from a hostile model.
import { describe, expect, it } from 'vitest';
import { attentionHoverMarkdown, BAR_WIDTH, hoverMarkdown, percent, probabilityBar, sourceHoverMarkdown } from '../../src/host/hover/hoverMarkdown';
import type { TokenInfo } from '../../src/host/probabilities/documentWindows';
import { perplexity, rankBucket } from '../../src/host/probabilities/tokenInfo';

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

const LINKS = { explainLine: 'command:modelLens.explainAttention?x', whyToken: 'command:modelLens.whyThisToken?y' };

/**
 * The cells of the alternatives table, split as VS Code's renderer (marked) splits a table row: at
 * each pipe after an even run of backslashes; then `\|` stands for a pipe inside the cell.
 */
function alternativeRows(md: string): string[][] {
  const lines = md.split('\n');
  const start = lines.indexOf('|:--|--:|:--|') + 1;
  const rows: string[][] = [];
  for (let i = start; start > 0 && lines[i]?.startsWith('|'); i++) {
    const cells: string[] = [];
    let cell = '';
    const line = lines[i]!.slice(1, -1);
    for (let j = 0; j < line.length; j++) {
      let backslashes = 0;
      for (let k = j - 1; k >= 0 && line[k] === '\\'; k--) backslashes++;
      if (line[j] === '|' && backslashes % 2 === 0) {
        cells.push(cell);
        cell = '';
      } else cell += line[j];
    }
    cells.push(cell);
    rows.push(cells.map((c) => c.trim().replace(/\\\|/g, '|')));
  }
  return rows;
}

describe('hoverMarkdown', () => {
  const markdown = hoverMarkdown(token, 'lens-tiny', LINKS);

  it('shows probability, rank, surprisal in bits and entropy', () => {
    expect(markdown).toContain('| P(token \\| text before) | **25.0%** |');
    expect(markdown).toContain('| rank | 2 |');
    expect(markdown).toContain('| surprisal | 2.00 bits |');
    expect(markdown).toContain('| entropy of the prediction | 3.50 bits |');
  });

  it('lists the alternatives in a table: token, probability, then a bar of text', () => {
    const rows = alternativeRows(markdown);
    // Bars are scaled to the most likely alternative; the percentages say how likely.
    expect(rows).toEqual([
      ['`·const`', '50.0%', '`████████████`'],
      ['`·return` (this token)', '25.0%', '`██████░░░░░░`'],
      ['`` ` ``', '10.0%', '`██░░░░░░░░░░`'], // a backtick token in a longer fence
    ]);
  });

  it('draws every bar with the same number of █ and ░ characters and nothing else', () => {
    const probs = [1, 0.5, 0.26, 0.01, 0, NaN];
    for (const p of probs) expect(probabilityBar(p, 1)).toMatch(/^█*░*$/);
    expect(new Set(probs.map((p) => [...probabilityBar(p, 1)].length))).toEqual(new Set([BAR_WIDTH]));
    expect(probabilityBar(0.01, 1)).toBe('░'.repeat(BAR_WIDTH));
    expect(probabilityBar(0.2, 0)).toBe('░'.repeat(BAR_WIDTH)); // no top: nothing to compare with
  });

  it('keeps the table whole for tokens with pipes and backslashes', () => {
    const md = hoverMarkdown(
      {
        ...token,
        top: [
          { text: '||', prob: 0.5 },
          { text: '\\|', prob: 0.3 },
          { text: '\\', prob: 0.2 },
        ],
      },
      'm',
      LINKS,
    );
    const rows = alternativeRows(md);
    expect(rows.map((r) => r.length)).toEqual([3, 3, 3]);
    // A backslash before a pipe cannot sit in a table's code span: escaped text, which shows \|.
    expect(rows.map((r) => r[0])).toEqual(['`||`', '\\\\|', '`\\`']);
  });

  it('says where in the layers the token became the top prediction, and links to Explain Attention', () => {
    expect(markdown).toContain('first became the top prediction after layer 2 of 4');
    expect(markdown).toContain('[Explain attention on this line](command:modelLens.explainAttention?x)');
  });

  it('links to Why This Token?', () => {
    expect(markdown).toContain('[Why this token?](command:modelLens.whyThisToken?y)');
  });

  it('explains the first token, which nothing predicts, and offers no why for it', () => {
    const first = hoverMarkdown({ ...token, prob: NaN, rank: 0 }, 'm', { explainLine: 'x', whyToken: 'y' });
    expect(first).toContain('nothing comes before it');
    expect(first).not.toContain('Why this token');
  });
});

describe('a token scored by a server', () => {
  const remote = {
    ...token,
    rank: 0,
    rankAbove: 10,
    entropy: NaN,
    firstTopRow: -1,
    lensRows: 0,
    remote: { model: 'Qwen/Qwen2.5-7B', server: 'https://llm.example.com/v1' },
  };
  const md = hoverMarkdown(remote, 'lens-tiny', LINKS);

  it('names the model and the server that answered, not the local model', () => {
    expect(md.split('\n')[0]).toContain('Qwen\\/Qwen2\\.5\\-7B');
    expect(md.split('\n')[0]).not.toContain('lens-tiny');
    expect(md).toContain('Answered by the server https\\:\\/\\/llm\\.example\\.com\\/v1');
    expect(md).toContain('use the local model');
  });

  it('says what a server does not tell: a rank below its top k, the entropy, the logit lens', () => {
    expect(md).toContain('| rank | below the top 10 |');
    expect(md).toContain('| entropy of the prediction | not known |');
    expect(md).not.toContain('logit lens');
    expect(hoverMarkdown({ ...remote, rank: 3, rankAbove: undefined }, 'm', LINKS)).toContain('| rank | 3 |');
  });
});

describe('text from the model in hovers', () => {
  const LINK = '[Open Settings](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)';
  const IMAGE = '![](https://example.invalid/x.png)';
  const HTML = '<img src=x onerror=alert(1)>';

  it("shows the model's name as text: no image, link or HTML besides the hover's own link", () => {
    const md = hoverMarkdown(token, `${IMAGE} ${LINK} ${HTML}`, LINKS);
    const head = md.split('\n')[0];
    expect(head).toContain('\\!\\[\\]\\(https\\:\\/\\/example\\.invalid\\/x\\.png\\)');
    expect(head).toContain('\\<img');
    // Every `](` that could end a link text is escaped; the only links left are the hover's own.
    expect(md.match(/(?<!\\)\]\(/g)).toEqual(['](', '](']);
    expect(md).toContain('[Explain attention on this line](command:modelLens.explainAttention?x)');
  });

  it('shows token text and alternatives as code spans, where Markdown is not parsed', () => {
    const md = hoverMarkdown({ ...token, text: '[Open Settings](command:x)', top: [{ text: IMAGE, prob: 0.5 }] }, 'm', { explainLine: 'x', whyToken: 'y' });
    expect(md).toContain('`[Open·Settings](command:x)`');
    expect(md).toContain('`![](https://example.invalid/x.png)`');
  });

  it("puts a source highlight's tokens in code spans, with the share signed", () => {
    const md = sourceHoverMarkdown(HTML, -0.5, '[x](command:y)', ' b');
    expect(md).toContain('`<img·src=x·onerror=alert(1)>` adds **−0.500**');
    expect(md).toContain('why `[x](command:y)` rather than `·b`');
    expect(sourceHoverMarkdown('a', 0.25, 'x', 'y')).toContain('adds **+0.250** to logit(`x`) − logit(`y`)');
  });

  it("puts an attention highlight's token in a code span", () => {
    expect(attentionHoverMarkdown(HTML, 'layer 0, head 1', 0.25)).toBe(
      '**Model Lens** · from `<img·src=x·onerror=alert(1)>`, layer 0, head 1\n\nattention to this token: **25.0%**',
    );
    expect(attentionHoverMarkdown(IMAGE, 'layer 0, head 1', 0.25)).toContain('from `![](https://example.invalid/x.png)`,');
  });
});

describe('rank buckets and perplexity', () => {
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

describe('the hover of a masked language model’s token', () => {
  const masked: TokenInfo = { ...token, masked: true };

  it('says the probability and the predictions were made with the token masked', () => {
    const md = hoverMarkdown(masked, 'bert', LINKS);
    expect(md).toContain('P(token \\| the rest, token masked)');
    expect(md).toContain('with the token masked');
    expect(md).toContain('(logit lens, with the token visible)');
    expect(md).not.toContain('text before');
  });

  it('offers no "why this token?", which splits a prediction from the text before it', () => {
    expect(hoverMarkdown(masked, 'bert', LINKS)).not.toContain(LINKS.whyToken);
    expect(hoverMarkdown(token, 'gpt2', LINKS)).toContain(LINKS.whyToken);
  });

  it('says a special token is not predicted, not that it is the first token', () => {
    const md = hoverMarkdown({ ...masked, prob: NaN }, 'bert', LINKS);
    expect(md).toContain('not asked to predict it');
    expect(md).not.toContain('first token');
  });
});
