// Direct logit attribution's parts and their names, written once for the engine, the CLI's tables
// and the "Why this token?" panel.

/** One share of logit(target) − logit(foil). */
export interface AttributionPart {
  /** embed: the token and position embedding; head: one head through its rows of W_O; attn: a layer's attention whole (its heads could not be told apart), or what is left of it besides its heads (the output projection's bias); mlp; block: attention and MLP written together (parallel blocks); bias: a bias added with a write (fused norms); final: the final norm's shift and the unembedding's bias. */
  kind: 'embed' | 'head' | 'attn' | 'mlp' | 'block' | 'bias' | 'final';
  layer?: number;
  head?: number;
  value: number;
}

export function partLabel(p: Pick<AttributionPart, 'kind' | 'layer' | 'head'>): string {
  switch (p.kind) {
    case 'embed':
      return 'embedding';
    case 'head':
      return `L${p.layer}H${p.head}`;
    case 'attn':
      return `L${p.layer} attention (rest)`;
    case 'block':
      return `L${p.layer} attention + MLP (rest)`;
    case 'bias':
      return `L${p.layer} bias`;
    case 'final':
      return 'final norm shift + unembedding bias';
    default:
      return `L${p.layer} MLP`;
  }
}
