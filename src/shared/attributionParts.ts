// The names of direct logit attribution's parts (engine/types.ts AttributionPart), written once
// for the CLI's tables and the "Why this token?" panel.
import type { AttributionPart } from '../engine/types';

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
