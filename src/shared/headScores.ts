// Scores of the classic attention-head types, measured on the text at hand. For one head's
// pattern A [query, key] over n tokens:
//   previous-token = mean over q = 1..n-1 of A[q, q-1]
//   first-token (attention sink) = mean over q = 1..n-1 of A[q, 0]
//   self = mean over q = 1..n-1 of A[q, q]
//   induction = mean, over queries q whose token occurred before at j (the latest such j, with
//               j + 1 < q), of A[q, j + 1]: attention to the token that followed the earlier
//               occurrence. On [BOS] + R + R this is TransformerLens' induction score.

export interface HeadScores {
  previousToken: number;
  firstToken: number;
  self: number;
  /** NaN when no token of the text repeats. */
  induction: number;
}

/** Scores of every head of one layer; `pattern` is [head, query, key] over the same n tokens. */
export function headScores(pattern: Float32Array, heads: number, n: number, ids: readonly number[]): HeadScores[] {
  // For each query, the position after the latest earlier occurrence of its token.
  const after = new Int32Array(n).fill(-1);
  const last = new Map<number, number>();
  for (let q = 0; q < n; q++) {
    const j = last.get(ids[q]);
    if (j !== undefined && j + 1 < q) after[q] = j + 1;
    last.set(ids[q], q);
  }
  const scores: HeadScores[] = [];
  for (let h = 0; h < heads; h++) {
    const at = (q: number, k: number) => pattern[(h * n + q) * n + k];
    let previous = 0;
    let first = 0;
    let self = 0;
    let induction = 0;
    let repeats = 0;
    for (let q = 1; q < n; q++) {
      previous += at(q, q - 1);
      first += at(q, 0);
      self += at(q, q);
      if (after[q] >= 0) {
        induction += at(q, after[q]);
        repeats++;
      }
    }
    const count = Math.max(1, n - 1);
    scores.push({ previousToken: previous / count, firstToken: first / count, self: self / count, induction: repeats ? induction / repeats : NaN });
  }
  return scores;
}
