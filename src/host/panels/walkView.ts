// What the step-by-step panel is sent: one token's path through the whole model, the guide's
// section 3.2 on the user's text — H⁰ = E + P, each block's norms, attention output, MLP and
// residual sums, then the final norm and the logits. Every step that can be recomputed from the
// steps before it is, and compared with the model's own tensor. Pure functions of an Analysis.
//
// A post-norm model (ModelInfo.postNorm: BERT, x = LN(x + attn(x)), then LN(x + mlp(x))) has no
// norm before its attention and no final norm of its own: resid_mid is x + attn_out, ln2 its norm
// (the stream the MLP reads), and resid_post the norm of ln2's output + mlp_out, recomputed with
// the γ and β of the norm the engine finds after the block (ln1 of the next block, or ln_final).
// A masked model's probabilities come from other inputs (each token masked) and are not compared.
import type { Analysis, ModelInfo, NormInfo, TensorData } from '../../engine/types';
import type { WalkBlock, WalkCheck, WalkNorm, WalkRotary, WalkView } from '../../shared/protocol';
import { hooks, type BlockNorm } from '../../shared/hooks';
import { softmaxAt } from '../../shared/softmax';
import { activationFunction, add, cosineSimilarity, normalize, normStatistics, relativeError, rotaryAngles, rotate } from './walkMath';

/** Neurons listed as the MLP's most active for the token. */
const TOP_NEURONS = 10;
/** Positions in the position-similarity picture, ending at the walked token. */
const SIMILARITY_POSITIONS = 32;

export interface WalkedToken {
  id: number;
  /** An analysis made with the activations and block hooks (hookGroups) and logits. */
  analysis: Analysis;
  info: ModelInfo;
  position: number;
  document: { uri: string; name: string };
  /** Document offset of the analysed text's first character. */
  baseOffset: number;
}

function row(t: TensorData | undefined, p: number): number[] | undefined {
  if (!t) return undefined;
  const width = t.data.length / t.shape[0];
  return Array.from(t.data.subarray(p * width, (p + 1) * width));
}

function check(what: string, ours: ArrayLike<number>, model: ArrayLike<number>, tolerance: number): WalkCheck {
  return { what, error: relativeError(ours, model), tolerance };
}

/** An amplitude this far from 1 is a scaled rotation, shown as such. */
const UNIT_AMPLITUDE = 1e-3;

/**
 * Block L's rotation of q at position p: the angles from the cos and sin the model applies there,
 * and, where the graph holds q before and after, the rotation redone from them for every head.
 */
function rotaryStep(w: WalkedToken, L: number, p: number, tolerance: number): WalkRotary | undefined {
  const { analysis, info } = w;
  const r = info.layerInfo[L]?.rotary;
  const get = (which: 'cos' | 'sin' | 'q_in' | 'q_out') => row(analysis.activations[hooks.rotary(L, which)], p);
  const [cos, sin] = [get('cos'), get('sin')];
  if (!r || !cos || !sin) return undefined;
  if (r.op === 'GroupQueryAttention' && info.layerInfo[L].attention.kind !== 'recomputed') return undefined;
  const { angles, amplitudes } = rotaryAngles(cos, sin);
  const step: WalkRotary = { op: r.op, pairing: r.pairing, angles };
  if (amplitudes.some((a) => Math.abs(a - 1) > UNIT_AMPLITUDE)) step.amplitudes = amplitudes;
  const [before, after] = [get('q_in'), get('q_out')];
  if (!before || !after) {
    step.unchecked =
      r.op === 'GroupQueryAttention'
        ? 'GroupQueryAttention rotates q and k inside the operator, so the graph holds q only before the rotation and the rotation cannot be checked here. The angles are the rows of its cos/sin caches at positions 0, 1, 2…, as Model Lens’ recomputation of the operator reads them; that recomputation reproduced the operator’s output when the model was loaded.'
        : 'The graph does not hold q both before and after the rotation, so the rotation cannot be checked here.';
    return step;
  }
  // RotaryEmbedding without num_heads rotates whole heads: each head is then as wide as the rotated part.
  const heads = r.heads ?? (r.op === 'RotaryEmbedding' ? before.length / (2 * angles.length) : info.heads);
  const width = before.length / heads;
  if (!Number.isInteger(width) || width < 2 * angles.length || before.length !== after.length) {
    step.unchecked = `q (${before.length} numbers) does not split into ${heads} heads of at least ${2 * angles.length} dimensions, so the rotation cannot be redone here.`;
    return step;
  }
  const recomputed = rotate(before, heads, angles, amplitudes, r.pairing);
  step.q = { before: before.slice(0, width), after: after.slice(0, width), recomputed: recomputed.slice(0, width) };
  step.check = check(`q′ = R(θ·${p})·q, every head`, recomputed, after, tolerance);
  return step;
}

/** Why a model without a position table shows no rotation: the note the engine left, or that none was found. */
function positionNote(info: ModelInfo): string {
  const rotated = info.layerInfo.find((l) => l.rotary);
  if (rotated)
    return `Positions enter inside attention: ${rotated.rotary!.op} rotates q and k by angles that grow with the position, but they are not shown, because Model Lens’ recomputation of the operator did not reproduce its output (${rotated.attention.kind === 'unavailable' ? rotated.attention.reason : 'see the notes'}).`;
  const rotary = info.notes.find((n) => /attn\.rotary\./.test(n));
  const reason = rotary?.replace(/^.* unavailable: /, '');
  return reason
    ? `Positions enter inside attention, but Model Lens cannot show how: ${reason}.`
    : 'Model Lens found neither a position table added here nor a rotary embedding of q and k, so how this model tells positions apart (for example biases added to the attention scores, as ALiBi does) is not shown.';
}

export function buildWalkView(w: WalkedToken): WalkView {
  const { analysis, info, position: p } = w;
  const a = analysis.activations;
  const get = (name: string) => row(a[name], p);
  // A half-precision model rounds every tensor it makes to about 1e-3 of its size.
  const tolerance = info.precision === 'float32' ? 1e-4 : 2e-2;
  const notes: string[] = info.notes.filter((n) => /unavailable/.test(n));

  const postNorm = info.postNorm === true;
  const norm = (
    input: number[] | undefined,
    normInfo: NormInfo | undefined,
    name: (which: 'scale' | 'normalized') => string,
    weight: (which: 'w' | 'b') => string,
    what: string,
    /** The model's tensor the norm makes, where it is known by another name than the norm's output. */
    made?: number[],
  ): WalkNorm | undefined => {
    const output = made ?? get(name('normalized'));
    const scale = get(name('scale'))?.[0];
    if (!input || !output || scale === undefined || !normInfo) return undefined;
    const wRow = a[weight('w')] ? Array.from(a[weight('w')].data) : undefined;
    const bRow = a[weight('b')] ? Array.from(a[weight('b')].data) : undefined;
    const ours = normStatistics(input, normInfo.kind, normInfo.epsilon ?? 0);
    const step: WalkNorm = { kind: normInfo.kind, op: normInfo.op, epsilon: normInfo.epsilon, input, mean: ours.mean, scale, w: wRow, b: bRow, output };
    // Recomputed from the stream alone (mean and scale too) where γ and ε are known; the engine's scale may itself be a recomputation.
    if (wRow && normInfo.epsilon !== undefined)
      step.check = check(
        `${what} = ${normInfo.kind === 'layer' ? '(x − mean) / √(var + ε) · γ + β' : 'x / √(mean(x²) + ε) · γ'}`,
        normalize(input, ours.mean ?? 0, ours.scale, wRow, bRow),
        output,
        tolerance,
      );
    return step;
  };
  const blockNorm = (L: number, which: BlockNorm, input: number[] | undefined) =>
    norm(
      input,
      info.layerInfo[L]?.[which],
      (h) => hooks.norm(L, which, h),
      (x) => hooks.normWeight(L, which, x),
      `${which} of block ${L}`,
    );

  // Step 1: H⁰ = E + P.
  const embed = get(hooks.embed);
  const posEmbed = get(hooks.posEmbed);
  const h0 = get(hooks.residPre(0)) ?? [];
  const input: WalkView['input'] = { embed, posEmbed, h0 };
  if (embed) input.check = check(posEmbed ? 'H⁰ = E + P' : 'H⁰ = E', posEmbed ? add(embed, posEmbed) : embed, h0, tolerance);
  else input.embedNote = embedNote(info);
  const positions = a[hooks.posEmbed];
  if (positions) {
    const from = Math.max(0, p + 1 - SIMILARITY_POSITIONS);
    const rows = Array.from({ length: p + 1 - from }, (_, i) => row(positions, from + i)!);
    input.similarity = { from, count: rows.length, values: cosineSimilarity(rows) };
  }
  const rotations = Array.from({ length: info.layers }, (_, L) => rotaryStep(w, L, p, tolerance));
  const first = rotations.findIndex((r) => r);
  if (first >= 0) {
    const r = rotations[first]!;
    const [cosTable, sinTable] = [a[hooks.rotary(first, 'cos')], a[hooks.rotary(first, 'sin')]];
    const from = Math.max(0, p + 1 - SIMILARITY_POSITIONS);
    const cos: number[] = [];
    const angles: number[] = [];
    for (let q = from; q <= p; q++) {
      const [c, s] = [row(cosTable, q)!, row(sinTable, q)!];
      cos.push(...c);
      angles.push(...rotaryAngles(c, s).angles);
    }
    const differs = rotations.flatMap((other, L) => (other && L !== first && relativeError(other.angles, r.angles) > 1e-6 ? [L] : []));
    input.rotary = { ...r, layer: first, differs, positions: { from, count: p + 1 - from, cos, angles } };
  } else if (!posEmbed && embed) input.positionNote = positionNote(info);

  // Steps 2–5, block by block.
  const blocks: WalkBlock[] = [];
  for (let L = 0; L < info.layers; L++) {
    const residPre = get(hooks.residPre(L)) ?? [];
    const residMid = get(hooks.residMid(L));
    const residPost = get(hooks.residPost(L)) ?? [];
    const attnOut = get(hooks.attnOut(L));
    const mlpOut = get(hooks.mlpOut(L));
    const block: WalkBlock = {
      layer: L,
      residPre,
      // Post-norm: the attention reads the stream itself. (The norm the engine finds before this
      // block's branch is the previous block's last, shown there as its mlpNorm.)
      ln1: postNorm ? undefined : blockNorm(L, 'ln1', residPre),
      attnOut,
      residMid,
      ln2: blockNorm(L, 'ln2', residMid),
      mlpOut,
      residPost,
    };
    if (rotations[L]) block.rotary = rotations[L];
    if (attnOut && residMid) block.midCheck = check('resid_mid = resid_pre + attn_out', add(residPre, attnOut), residMid, tolerance);
    if (!postNorm && mlpOut && residMid) block.postCheck = check('resid_post = resid_mid + mlp_out', add(residMid, mlpOut), residPost, tolerance);
    const normed = get(hooks.norm(L, 'ln2', 'normalized'));
    if (postNorm && mlpOut && normed && residPost.length) {
      // resid_post = LN(h + mlp_out), h = ln2's output: the norm after this block's MLP.
      const next = L + 1 < info.layers;
      block.mlpNorm = norm(
        add(normed, mlpOut),
        next ? info.layerInfo[L + 1]?.ln1 : info.lnFinal,
        next ? (h) => hooks.norm(L + 1, 'ln1', h) : hooks.lnFinal,
        next ? (x) => hooks.normWeight(L + 1, 'ln1', x) : hooks.lnFinalWeight,
        `resid_post of block ${L}`,
        residPost,
      );
    }
    const post = get(hooks.mlpPost(L));
    if (post) {
      const pre = get(hooks.mlpPre(L));
      const activation = info.layerInfo[L]?.activation;
      const top = post
        .map((value, index) => ({ index, value }))
        .sort((x, y) => Math.abs(y.value) - Math.abs(x.value))
        .slice(0, TOP_NEURONS);
      const preLinear = get(hooks.mlpPreLinear(L));
      block.mlp = { activation: activation?.kind, pre, preLinear, post, top };
      if (pre && activation) {
        const act = pre.map(activationFunction(activation));
        block.mlp.check = preLinear
          ? check(
              `mlp.hook_post = ${activation.kind}(mlp.hook_pre) · mlp.hook_pre_linear`,
              act.map((v, i) => v * preLinear[i]),
              post,
              tolerance,
            )
          : check(`mlp.hook_post = ${activation.kind}(mlp.hook_pre)`, act, post, tolerance);
      }
    }
    blocks.push(block);
  }

  // Step 6: the final norm, the unembedding's logits and the softmax.
  const last = info.layers - 1;
  const logits = analysis.logits;
  if (!logits) throw new Error('buildWalkView needs an analysis made with logits');
  const output = outputStep(analysis, p, tolerance);
  if (postNorm)
    output.normNote = `This model normalises after each sublayer (post-norm), so the stream leaves block ${last} already normalised by that block's own Add & Norm (step 6 there): there is no separate final norm before the output layer.`;
  else output.norm = norm(get(hooks.residPost(last)), info.lnFinal, hooks.lnFinal, hooks.lnFinalWeight, 'ln_final');
  if (w.baseOffset + analysis.droppedChars > 0) notes.push(`The model read the ${p} tokens before this one, not the whole document before it.`);
  return {
    id: w.id,
    model: {
      name: info.name,
      layers: info.layers,
      heads: info.heads,
      dModel: info.dModel,
      dMlp: info.dMlp,
      precision: info.precision,
      bidirectional: info.bidirectional === true,
      postNorm,
      predicts: info.predicts ?? 'next',
    },
    document: w.document,
    tokens: analysis.tokens.map((t) => ({ text: t.text, start: w.baseOffset + t.start, end: w.baseOffset + t.end, special: t.special })),
    position: p,
    input,
    blocks,
    output,
    notes,
  };
}

/** Why the embedding is not taken apart into E and P: the engine's reason, where it gave one. */
function embedNote(info: ModelInfo): string {
  const reason = info.notes.find((n) => n.startsWith(`${hooks.embed},`) || n.startsWith(`${hooks.embed} `))?.replace(/^.* unavailable: /, '');
  return reason
    ? `Model Lens could not take this model's embedding apart into the token's row and the position's: ${reason}.`
    : 'The graph does not expose the token embedding on its own, so it is not shown apart from H⁰.';
}

/**
 * The output layer at position p: the logits and the top predictions, checked against the model's
 * own probabilities where they come from the same run. A masked model's probabilities are computed
 * with each token masked, another input, so its top predictions here come from the logits of the
 * text as it is; a classifier's logits are one row of class scores for the whole text.
 */
function outputStep(analysis: Analysis, p: number, tolerance: number): WalkView['output'] {
  const logits = analysis.logits!;
  if (analysis.predicts === 'classes') {
    const classes = analysis.classes ?? [];
    const row = logits.data.slice(0, classes.length);
    const top = classes.map((c, id) => ({ id, text: c.label, prob: c.prob }));
    return {
      logits: row.buffer as ArrayBuffer,
      top,
      check: check(
        'softmax(logits) = the model’s class probabilities',
        softmaxAt(
          row,
          top.map((t) => t.id),
        ),
        top.map((t) => t.prob),
        tolerance,
      ),
    };
  }
  const vocab = logits.shape[1];
  const logitsRow = logits.data.slice(p * vocab, (p + 1) * vocab);
  const k = analysis.topK;
  if (analysis.predicts === 'masked') {
    const known = new Map<number, string>(analysis.tokens.map((t) => [t.id, t.text]));
    const ids = Array.from(logitsRow.keys())
      .sort((a, b) => logitsRow[b] - logitsRow[a] || a - b)
      .slice(0, k || 10);
    const probs = softmaxAt(logitsRow, ids);
    return {
      logits: logitsRow.buffer as ArrayBuffer,
      top: ids.map((id, j) => ({ id, text: analysis.pieces[id] ?? known.get(id) ?? `#${id}`, prob: probs[j] })),
      unchecked:
        'Model Lens’ own probabilities for this model are computed with each token masked (the mask token in its place), a different input from the text walked here, so these, from the logits of the text as it is, are not compared with them.',
    };
  }
  const top = Array.from({ length: k }, (_, j) => {
    const id = analysis.topIds[p * k + j];
    return { id, text: analysis.pieces[id] ?? `#${id}`, prob: analysis.topProbs[p * k + j] };
  });
  return {
    logits: logitsRow.buffer as ArrayBuffer,
    top,
    check: check(
      'softmax(logits) = the model’s probabilities',
      softmaxAt(
        logitsRow,
        top.map((t) => t.id),
      ),
      top.map((t) => t.prob),
      tolerance,
    ),
  };
}
