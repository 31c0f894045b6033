// Head-type scores on hand-made attention patterns whose answer is known.
import { describe, expect, it } from 'vitest';
import { headScores } from '../../src/shared/headScores';

/** One head's [query, key] pattern from a rule giving, for each query, the key it attends to. */
function pattern(n: number, attends: (q: number) => number): Float32Array {
  const p = new Float32Array(n * n);
  for (let q = 0; q < n; q++) p[q * n + attends(q)] = 1;
  return p;
}

const N = 9;
const IDS = [0, 5, 6, 7, 8, 5, 6, 7, 8]; // BOS, then a sequence repeated

describe('headScores', () => {
  it('scores a pure previous-token head 1 on previous-token and ~0 on the rest', () => {
    const [s] = headScores(
      pattern(N, (q) => Math.max(0, q - 1)),
      1,
      N,
      IDS,
    );
    expect(s.previousToken).toBe(1);
    expect(s.self).toBe(0);
    expect(s.firstToken).toBeCloseTo(1 / (N - 1)); // only query 1, whose previous token is the first
    expect(s.induction).toBe(0);
  });

  it('scores an attention sink 1 on first-token', () => {
    const [s] = headScores(
      pattern(N, () => 0),
      1,
      N,
      IDS,
    );
    expect(s).toMatchObject({ firstToken: 1, self: 0, induction: 0 });
  });

  it('scores a head that looks at itself 1 on self', () => {
    const [s] = headScores(
      pattern(N, (q) => q),
      1,
      N,
      IDS,
    );
    expect(s).toMatchObject({ self: 1, previousToken: 0, firstToken: 0 });
  });

  it('scores an induction head 1 on induction: the token after the earlier occurrence', () => {
    // Query 5 repeats token 5 (seen at 1): an induction head attends to position 2, and so on.
    const [s] = headScores(
      pattern(N, (q) => (q >= 5 ? q - 3 : 0)),
      1,
      N,
      IDS,
    );
    expect(s.induction).toBe(1);
    expect(s.previousToken).toBeLessThan(0.2);
  });

  it('says n/a for induction when no token repeats, and scores each head of a layer', () => {
    const two = new Float32Array(2 * 4 * 4);
    two.set(
      pattern(4, (q) => q),
      0,
    );
    two.set(
      pattern(4, () => 0),
      16,
    );
    const [self, sink] = headScores(two, 2, 4, [0, 1, 2, 3]);
    expect(Number.isNaN(self.induction)).toBe(true);
    expect(self.self).toBe(1);
    expect(sink.firstToken).toBe(1);
  });
});
