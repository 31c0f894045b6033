// The "Step by step" webview: one token through the whole model, in the order of the guide's
// section 3.2 — the input representation H⁰ = E + P, each block (norm, attention, Add, norm, FFN,
// Add; for a post-norm model such as BERT, attention, Add & Norm, FFN, Add & Norm), then the
// output layer with a temperature slider. The host sends every number and each
// step's check against the model's own tensor; this page only lays them out. The view state names
// what was walked, for the host to walk it again after a window reload.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import '../shared/components.css';
import './walk.css';
import type { FromWalkPanel, WalkBlock, WalkCheck, WalkNorm, WalkPanelState, WalkRotary, WalkView } from '../../src/shared/protocol';
import { softmaxAt } from '../../src/shared/softmax';
import { clear, el } from '../shared/dom';
import { formatCell, formatProb, quoted, tokenLabel } from '../shared/format';
import { showError as showStatusError, showLoading as showStatusLoading } from '../shared/status';
import { checkLine, notice, step } from '../shared/steps';
import { onThemeChange, themeKind } from '../shared/theme';
import { onHostMessage, vscodeApi } from '../shared/vscodeApi';
import { isToWalkPanel } from './messages';
import { rotaryAngleTable, similarityTable } from './cosineGrids';
import { vectorTable } from './vectors';

interface WalkState extends WalkPanelState {
  layer: number;
  allDims: boolean;
}

const api = vscodeApi<FromWalkPanel, WalkState>();
const saved = api.getState();
let layer = typeof saved?.layer === 'number' ? saved.layer : 0;
let allDims = saved?.allDims === true;
let temperature = 1;
let theme = themeKind();
let view: WalkView | undefined;

const status = el('div', { class: 'ml-status', attrs: { 'aria-live': 'polite' } });
const header = el('header', { class: 'ml-walk-header' });
const tokenSelect = el('vscode-single-select', { class: 'ml-walk-token', attrs: { 'aria-label': 'Token to walk through the model' } }) as VscodeSingleSelect;
const layerSelect = el('vscode-single-select', { class: 'ml-walk-layer', attrs: { 'aria-label': 'Block' } }) as VscodeSingleSelect;
const allDimsBox = el('vscode-checkbox', {
  attrs: { label: 'Show all dimensions' },
  title: 'Show every dimension of each vector instead of the first few.',
}) as VscodeCheckbox;
const controls = el(
  'div',
  { class: 'ml-walk-controls', attrs: { role: 'group', 'aria-label': 'What to show' } },
  el('span', { class: 'ml-field-label', text: 'Token', attrs: { 'aria-hidden': 'true' } }),
  tokenSelect,
  el('span', { class: 'ml-field-label', text: 'Block', attrs: { 'aria-hidden': 'true' } }),
  layerSelect,
  allDimsBox,
);
const steps = el('div', { class: 'ml-walk-steps' });
const content = el('div', { class: 'ml-content' }, header, controls, steps);
const root = document.getElementById('root') ?? document.body;
root.append(status, content);
content.hidden = true;
showLoading('Waiting for the walk…');

function showLoading(text: string): void {
  showStatusLoading(status, content, text, view !== undefined);
}

function persist(): void {
  if (!view) return;
  api.setState({ walked: { uri: view.document.uri, offset: view.tokens[view.position].start }, layer, allDims });
}

tokenSelect.addEventListener('change', () => {
  const position = Number(tokenSelect.value);
  if (!view || !Number.isInteger(position) || position === view.position) return;
  content.classList.add('busy');
  api.postMessage({ type: 'pick', id: view.id, position });
});
layerSelect.addEventListener('change', () => {
  const n = Number(layerSelect.value);
  if (!Number.isInteger(n) || n === layer) return;
  layer = n;
  persist();
  render();
});
allDimsBox.addEventListener('change', () => {
  allDims = allDimsBox.checked;
  persist();
  render();
});

function check(c: WalkCheck | undefined, what?: string): HTMLElement | null {
  if (!c) return what ? checkLine(NaN, 0, `${what}: read from the graph, not recomputed (its inputs are not all exposed).`) : null;
  const ok = c.error <= c.tolerance;
  return checkLine(
    c.error,
    c.tolerance,
    `${c.what}: ${ok ? 'matches the model' : 'differs from the model'}, max relative difference ${c.error.toExponential(1)} (tolerance ${c.tolerance.toExponential(0)}).`,
  );
}

/** A formula in the guide's typography: plain text and sub/superscripts. */
function formula(label: string, ...parts: (string | HTMLElement)[]): HTMLElement {
  return el('div', { class: 'ml-formula', attrs: { role: 'math', 'aria-label': label } }, ...parts);
}
const sub = (t: string) => el('sub', { text: t });
const sup = (t: string) => el('sup', { text: t });

/** A part of a step under its own heading: the heading, what it shows, then `content`. */
function subsection(title: string, text: string, ...content: HTMLElement[]): HTMLElement[] {
  return [el('h4', { class: 'ml-walk-sub', text: title }), el('p', { class: 'ml-step-text', text }), ...content];
}

/** A row of a vector table, with values where the model gave them. */
type Part = [label: string, values: number[] | undefined];

/** x, what a sublayer adds and their sum as a table; where the graph does not give all three apart, a warning saying `missing`. */
function sumTable(title: string, x: Part, added: Part, sum: Part, missing: string): HTMLElement {
  const rows = [x, added, sum].flatMap(([label, values]) => (values ? [{ label, values }] : []));
  return rows.length === 3 ? vectorTable(title, rows, allDims, theme) : notice('warning', missing);
}

function normStep(n: string, name: string, norm: WalkNorm | undefined, input: string, missing: string): HTMLElement {
  if (!norm) return step(n, name, missing, null);
  const layerNorm = norm.kind === 'layer';
  const what = layerNorm ? 'LayerNorm' : 'RMSNorm';
  const explanation = layerNorm
    ? `${what} (${norm.op}) rescales the vector to mean 0 and standard deviation 1, then applies the learned γ (scale) and β (shift) per dimension. Here the mean is ${formatCell(norm.mean ?? 0, 4)} and √(var + ε) is ${formatCell(norm.scale, 4)}${norm.epsilon !== undefined ? `, with ε = ${norm.epsilon.toExponential(0)}` : ''}.`
    : `${what} (${norm.op}) divides the vector by its root mean square, then applies the learned γ per dimension; there is no mean subtraction and no β. Here √(mean(x²) + ε) is ${formatCell(norm.scale, 4)}${norm.epsilon !== undefined ? `, with ε = ${norm.epsilon.toExponential(0)}` : ''}.`;
  const f = layerNorm
    ? formula(
        `${what} of x equals x minus the mean, over the square root of the variance plus epsilon, times gamma, plus beta`,
        'LN(x) = ',
        el('span', { class: 'ml-frac' }, el('span', { class: 'ml-num', text: 'x − μ' }), el('span', { class: 'ml-den' }, '√(σ', sup('2'), ' + ε)')),
        ' · γ + β',
      )
    : formula(
        `${what} of x equals x over the root mean square of x plus epsilon, times gamma`,
        'RMSNorm(x) = ',
        el('span', { class: 'ml-frac' }, el('span', { class: 'ml-num', text: 'x' }), el('span', { class: 'ml-den' }, '√(mean(x', sup('2'), ') + ε)')),
        ' · γ',
      );
  const rows = [
    { label: `x (${input})`, values: norm.input },
    ...(norm.w ? [{ label: 'γ', values: norm.w }] : []),
    ...(norm.b ? [{ label: 'β', values: norm.b }] : []),
    { label: `${what}(x)`, values: norm.output },
  ];
  return step(
    n,
    name,
    explanation,
    f,
    vectorTable(`${name}: the input, γ, β and the output`, rows, allDims, theme),
    check(norm.check, `${what}(x)`) ?? el('span'),
  );
}

/** What rotates q, in words. */
function rotaryOperator(r: WalkRotary): string {
  if (r.op === 'ONNX arithmetic') return 'the cos and sin tensors the graph multiplies q by (q·cos + rotate_half(q)·sin)';
  if (r.op === 'GroupQueryAttention') return 'the cos/sin caches of the GroupQueryAttention operator, at this position';
  return `the cos/sin caches of the ${r.op} operator, at the position ids it is given`;
}

/** Which dimensions of a head turn together. */
function pairs(r: WalkRotary): string {
  const n = r.angles.length;
  return r.pairing === 'half' ? `dimension i with dimension i + ${n}` : 'dimensions 2i and 2i + 1';
}

/** The rotation check of a block: ✓ against the model's rotated q, or why there is none. */
function rotaryCheck(r: WalkRotary): HTMLElement {
  return check(r.check) ?? checkLine(NaN, 0, r.unchecked ?? 'The rotation is not checked.');
}

/** q′ = R(θ·p) q, and what it does to one pair (a, b) of a head's dimensions. */
function rotaryFormula(r: WalkRotary): HTMLElement {
  const [a, b] = r.pairing === 'half' ? ['i', `i+${r.angles.length}`] : ['2i', '2i+1'];
  const q = (i: string, prime = '') => el('span', {}, `q${prime}`, sub(i));
  const angle = () => el('span', {}, 'θ', sub('i'), 'p');
  // One flex item, so that the two lines wrap as text does in a narrow panel.
  return formula(
    `q prime equals R of theta p times q: each pair of dimensions ${a} and ${b} of a head is turned by the angle theta i times p`,
    el(
      'span',
      {},
      'q′ = R(θ·p) q',
      el('br'),
      '(',
      q(a, '′'),
      ', ',
      q(b, '′'),
      ') = (',
      q(a),
      ' cos ',
      angle(),
      ' − ',
      q(b),
      ' sin ',
      angle(),
      ',  ',
      q(b),
      ' cos ',
      angle(),
      ' + ',
      q(a),
      ' sin ',
      angle(),
      ')',
    ),
  );
}

/** q′ = R(θ·p)·q with the angles of one position: the formula, the angles, and head 0 before and after. */
function rotaryStep(v: WalkView, r: NonNullable<WalkView['input']['rotary']>): HTMLElement[] {
  const p = v.position;
  const n = r.angles.length;
  const out: HTMLElement[] = [
    ...subsection(
      `Rotary position embedding: the angles at position ${p}`,
      `Inside each block's attention, before the scores QKᵀ, every head's q and k are cut into ${n} pairs (${pairs(r)}) and each pair is turned by the angle θᵢ·p, with its own frequency θᵢ (usually fast for the first pairs, slow for the last). A dot product of two turned vectors depends only on the difference of their angles, so attention sees how far apart two tokens are. These are the angles the model applies at position ${p}, read from ${rotaryOperator(r)}${r.layer > 0 ? ` of block ${r.layer}` : ''}, wrapped to (−π, π].`,
    ),
    rotaryFormula(r),
    vectorTable(
      `The rotation angle of each frequency at position ${p}`,
      [{ label: `θᵢ·${p} (rad, mod 2π)`, values: r.angles }, ...(r.amplitudes ? [{ label: '√(cos² + sin²)', values: r.amplitudes }] : [])],
      allDims,
      theme,
      undefined,
      'ω',
    ),
  ];
  if (r.amplitudes)
    out.push(notice('info', 'This model scales its cos and sin (their lengths are not 1): each pair is turned and stretched by the factor shown.'));
  if (r.q) {
    out.push(
      vectorTable(
        'Head 0 of q before and after the rotation, and the rotation redone from the angles',
        [
          { label: 'q (head 0)', values: r.q.before },
          { label: 'q′ (the model’s)', values: r.q.after },
          { label: 'R(θ·p) q (redone)', values: r.q.recomputed },
        ],
        allDims,
        theme,
      ),
    );
  }
  out.push(rotaryCheck(r));
  if (r.differs.length)
    out.push(
      notice(
        'info',
        `Block${r.differs.length > 1 ? 's' : ''} ${r.differs.join(', ')} turn${r.differs.length > 1 ? '' : 's'} q by other angles at this position (a different base or scaling); each block's own step checks its own.`,
      ),
    );
  return out;
}

function inputSection(v: WalkView): HTMLElement {
  const i = v.input;
  const token = v.tokens[v.position];
  const rows = [
    ...(i.embed ? [{ label: 'E (token embedding)', values: i.embed }] : []),
    ...(i.posEmbed ? [{ label: `P (position ${v.position})`, values: i.posEmbed }] : []),
    { label: 'H⁰ (into block 0)', values: i.h0 },
  ];
  const how = !i.embed
    ? `H⁰ is the vector entering block 0, as the model computed it for the token ${quoted(token.text)} at position ${v.position}. ${i.embedNote ?? ''}${
        v.model.postNorm ? ' (BERT and the encoders after it add the token’s row, the position’s row and a token-type row, then normalise the sum.)' : ''
      }`
    : i.posEmbed
      ? `The token ${quoted(token.text)} is looked up in the embedding table (E, one learned row per vocabulary entry), and the row of its position ${v.position} in the position table (P) is added: the model learned one vector per position, where the guide's original Transformer used fixed sines and cosines.`
      : i.rotary
        ? `The token ${quoted(token.text)} is looked up in the embedding table (E). This model adds no position vector here, so H⁰ = E: positions enter inside attention instead, where rotary embeddings (as Llama-style models use) turn q and k by angles that grow with the position. The angles of position ${v.position} are below.`
        : `The token ${quoted(token.text)} is looked up in the embedding table (E). This model adds no position vector here, so H⁰ = E. ${i.positionNote ?? ''}`;
  const section = step(
    '1',
    'Input representation: H⁰ = E + P',
    how,
    formula('H zero equals E plus P', 'H', sup('0'), ' = E + P'),
    vectorTable('The token embedding, the position vector and their sum', rows, allDims, theme),
  );
  section.append(check(i.check, 'H⁰') ?? el('span'));
  if (i.rotary) {
    section.append(
      ...rotaryStep(v, i.rotary),
      ...subsection(
        'Positional encoding on its own: the angles of each frequency by position',
        `cos θᵢ·p for positions ${i.rotary.positions.from}–${i.rotary.positions.from + i.rotary.positions.count - 1} (rows) and each frequency ωᵢ (columns), as the model applies them: usually the first frequencies turn by about a radian per position and cycle quickly while the last barely move. Where the guide's original Transformer added these sines and cosines to the embedding, a rotary model turns q and k by them. Hover a cell for its angle.`,
        rotaryAngleTable(i.rotary.positions, theme),
      ),
    );
  }
  if (i.similarity) {
    section.append(
      ...subsection(
        'Positional encoding on its own: how alike the position vectors are',
        `Cosine similarity of the position vectors P of positions ${i.similarity.from}–${i.similarity.from + i.similarity.count - 1} (P·Pᵀ, each row scaled to length 1). In a well-trained model, neighbouring positions often get similar vectors (a bright band along the diagonal), which lets attention tell near from far; here is how this model's positions compare.`,
        similarityTable(i.similarity, theme),
      ),
    );
  }
  return section;
}

function blockSection(v: WalkView, b: WalkBlock): HTMLElement {
  const L = b.layer;
  const section = el('section', { class: 'ml-walk-block', attrs: { 'aria-label': `Block ${L}` } }, el('h2', { text: `Block ${L} of ${v.model.layers}` }));
  const post = v.model.postNorm;
  section.append(
    post
      ? notice(
          'info',
          `This model normalises after each sublayer, LayerNorm(x + Sublayer(x)) ("post-norm"), as the guide's Transformer and BERT do: the attention and the MLP read the stream as it is, and each adds its output to it and normalises the sum (Add & Norm). The steps below follow the model.`,
        )
      : notice(
          'info',
          `The guide's Transformer normalises after each sublayer, LayerNorm(x + Sublayer(x)) ("post-norm"). This model normalises before it and adds the result to the stream unchanged, x + Sublayer(Norm(x)) ("pre-norm"), as GPT-2 and most decoders since do; the steps below follow the model.`,
        ),
    post
      ? step(
          '2a',
          'No norm before attention',
          `In a post-norm model the attention reads the stream as it is: it was normalised already, ${L === 0 ? 'by the embedding’s norm' : `by block ${L - 1}’s last Add & Norm`}. The norms of this block come after its sublayers (steps 4 and 6).`,
          null,
        )
      : normStep(
          '2a',
          `Norm before attention (ln1)`,
          b.ln1,
          `resid_pre of block ${L}`,
          `This block's first norm was not found in the graph, so its numbers are not shown.`,
        ),
  );
  const heads = el('div', { class: 'ml-walk-heads', attrs: { role: 'group', 'aria-label': 'Open a head in Explain Attention' } });
  for (let h = 0; h < v.model.heads; h++) {
    const button = el('vscode-button', {
      text: `Head ${h}`,
      title: `Explain Attention on block ${L}, head ${h}: its Q, K, V, softmax(QKᵀ/√d_k) and A·V on this token`,
      attrs: { secondary: true },
    });
    button.addEventListener('click', () => api.postMessage({ type: 'openHead', id: v.id, layer: L, head: h }));
    heads.appendChild(button);
  }
  const attention = step(
    '2b',
    `Attention: ${v.model.heads} heads`,
    `${
      v.model.bidirectional
        ? `Each head computes softmax(QKᵀ/√d_k)·V on the ${post ? '' : 'normalised '}vectors of every token of the text, the ones after this token too: the attention is bidirectional, so no causal mask hides the later tokens.`
        : `Each head computes softmax(QKᵀ/√d_k)·V on the ${post ? '' : 'normalised '}vectors of this token and the ones before it.`
    } The Explain Attention panel's math tab walks one head's steps on these numbers: open a head.`,
    formula('Attention of Q K V equals softmax of Q K transpose over root d k, times V', 'head', sub('i'), ' = softmax(QK', sup('T'), '/√d', sub('k'), ')V'),
    heads,
  );
  if (b.rotary) {
    const same = v.input.rotary && !v.input.rotary.differs.includes(L);
    attention.append(
      el('p', {
        class: 'ml-step-text',
        text: `Before the scores, q and k are turned by position (rotary embedding, step 1): q′ = R(θ·p)·q with ${
          same
            ? 'the angles shown in step 1'
            : `this block's own angles (θᵢ·p at this position: ${b.rotary.angles
                .slice(0, 4)
                .map((a) => formatCell(a, 3))
                .join(', ')}${b.rotary.angles.length > 4 ? ', …' : ''})`
        }.`,
      }),
      rotaryCheck(b.rotary),
    );
  }
  section.append(
    attention,
    step(
      '3',
      'Concat of all heads, then W_O: what attention adds',
      `The ${v.model.heads} heads' outputs are concatenated and projected by W_O (and its bias) back to the stream's ${v.model.dModel} dimensions; this vector is added to the residual stream.`,
      formula('MultiHead equals the concatenation of head 1 to head h, times W O', 'MultiHead = Concat(head', sub('1'), ' … head', sub('h'), ')W', sup('O')),
      sumTable(
        'The stream before, the attention output, and their sum',
        ['resid_pre', b.residPre],
        ['+ attn_out', b.attnOut],
        [post ? '= resid_mid (before its norm)' : '= resid_mid', b.residMid],
        "The graph does not separate this block's attention output from its MLP's (a parallel block, or an unrecognised layout), so it is not shown.",
      ),
      check(b.midCheck, 'resid_mid') ?? el('span'),
    ),
    normStep(
      '4',
      post ? 'Add & Norm: LayerNorm(x + attention(x)), the stream the MLP reads (ln2)' : 'Add & Norm: the norm before the MLP (ln2)',
      b.ln2,
      `resid_mid of block ${L}`,
      `This block's second norm was not found in the graph, so its numbers are not shown.`,
    ),
  );
  section.append(ffnStep(v, b), post ? addNormStep(b) : addStep(b));
  return section;
}

function ffnStep(v: WalkView, b: WalkBlock): HTMLElement {
  const mlp = b.mlp;
  if (!mlp) return step('5', 'Feed-forward network', "This block's MLP activations were not found in the graph, so they are not shown.", null);
  const act = mlp.activation;
  const name =
    act === 'relu' ? 'max(0, ·)' : act === 'silu' ? 'SiLU' : act === 'gelu' || act === 'gelu_tanh' ? 'GELU' : act === 'quick_gelu' ? 'QuickGELU' : undefined;
  if (mlp.preLinear) return gatedStep(v, b, name);
  const f = name
    ? formula(
        `FFN of x equals ${name} of x W 1 plus b 1, times W 2, plus b 2`,
        'FFN(x) = ',
        act === 'relu' ? 'max(0, ' : `${name}(`,
        'xW',
        sub('1'),
        ' + b',
        sub('1'),
        ')W',
        sub('2'),
        ' + b',
        sub('2'),
      )
    : formula(
        'FFN of x equals the activation of x W gate, times x W up, times W down',
        'FFN(x) = (act(xW',
        sub('gate'),
        ') ⊙ xW',
        sub('up'),
        ')W',
        sub('down'),
      );
  const explanation = name
    ? `The vector is projected up to ${v.model.dMlp} hidden neurons, passed through ${act === 'relu' ? 'ReLU, as the guide writes it' : `${name}${act === 'gelu_tanh' ? ' (its tanh approximation)' : ''}, where the guide writes ReLU`}, and projected back down; the result is added to the stream. The most active neurons for this token are listed below.`
    : `The graph does not say which activation this MLP uses in a way Model Lens recognises (a gated MLP multiplies act(gate) by an "up" projection), so the hidden activation is read from the graph.`;
  return mlpStep(`Feed-forward network (${v.model.dMlp} neurons)`, explanation, f, mlp, 'before and after the activation function', [
    ...(mlp.pre ? [{ label: 'xW₁ + b₁ (mlp.hook_pre)', values: mlp.pre }] : []),
    { label: `${name ?? 'act'}(…) (mlp.hook_post)`, values: mlp.post },
  ]);
}

/** Step 5: the MLP, its formula, and its most active neurons' `rows` (`what` they are), with the activation's check. */
function mlpStep(
  title: string,
  explanation: string,
  f: HTMLElement,
  mlp: NonNullable<WalkBlock['mlp']>,
  what: string,
  rows: { label: string; values: number[] }[],
): HTMLElement {
  const top = mlp.top.map((t) => t.index);
  return step(
    '5',
    title,
    explanation,
    f,
    vectorTable(`The ${top.length} most active neurons: ${what}`, rows, allDims, theme, top),
    check(mlp.check, 'mlp.hook_post') ?? el('span'),
  );
}

/** A gated MLP: act(x·W_gate) ⊙ x·W_up, projected down by W_down. */
function gatedStep(v: WalkView, b: WalkBlock, name: string | undefined): HTMLElement {
  const mlp = b.mlp!;
  const act = name ?? 'act';
  return mlpStep(
    `Feed-forward network, gated (${v.model.dMlp} neurons)`,
    `A gated MLP, as Llama-style models have: the vector is projected up to ${v.model.dMlp} neurons twice, a "gate" that goes through ${name ? `${name}${mlp.activation === 'gelu_tanh' ? ' (its tanh approximation)' : ''}` : 'an activation function Model Lens does not recognise'} and an "up" projection, and the two are multiplied neuron by neuron; the product is projected back down and added to the stream. The guide's FFN has one projection and ReLU; here each neuron's gate decides how much of its up projection passes. The most active neurons for this token are listed below.`,
    formula(`FFN of x equals ${act} of x W gate, times x W up, times W down`, 'FFN(x) = (', `${act}(xW`, sub('gate'), ') ⊙ xW', sub('up'), ')W', sub('down')),
    mlp,
    'the gate, the up projection and their product',
    [
      ...(mlp.pre ? [{ label: 'xW_gate (mlp.hook_pre)', values: mlp.pre }] : []),
      { label: 'xW_up (mlp.hook_pre_linear)', values: mlp.preLinear! },
      { label: `${act}(gate) · up (mlp.hook_post)`, values: mlp.post },
    ],
  );
}

function addStep(b: WalkBlock): HTMLElement {
  return step(
    '6',
    'Add: the FFN output joins the stream',
    'What the FFN wrote is added to the stream; the sum is the input of the next block (or of the output layer after the last one).',
    null,
    sumTable(
      'The stream after attention, the MLP output, and their sum',
      ['resid_mid', b.residMid],
      ['+ mlp_out', b.mlpOut],
      ['= resid_post', b.residPost],
      "The MLP's output is not separated from the attention's in this graph.",
    ),
    check(b.postCheck, 'resid_post') ?? el('span'),
  );
}

/** A post-norm block's last step: the FFN output joins the stream, and the sum is normalised into resid_post. */
function addNormStep(b: WalkBlock): HTMLElement {
  const norm = b.mlpNorm;
  const sum = norm
    ? vectorTable(
        'What the MLP read, the MLP output, and their sum',
        [
          { label: 'x (ln2 output)', values: b.ln2?.output ?? [] },
          { label: '+ mlp_out', values: b.mlpOut ?? [] },
          { label: '= x + mlp_out', values: norm.input },
        ],
        allDims,
        theme,
      )
    : null;
  const section = normStep(
    '6',
    'Add & Norm: LayerNorm(x + FFN(x)), the stream after the block',
    norm,
    'x + mlp_out',
    "The norm after this block's MLP was not found in the graph (or the MLP's output or its input is not separated), so resid_post is not recomputed here: the sum it normalises is not shown rather than guessed.",
  );
  if (sum) section.querySelector('.ml-step-text')?.after(sum);
  if (norm)
    section.append(
      el('p', {
        class: 'ml-step-text',
        text: 'The output is resid_post, the stream the next block reads (or the output layer, after the last block); the check compares the norm redone from the sum with the model’s resid_post.',
      }),
    );
  return section;
}

/** A bar's filled part; its width set through the CSSOM (the page's policy refuses style attributes). */
function fill(p: number): HTMLElement {
  const bar = el('span', { class: 'ml-walk-bar-fill' });
  bar.style.width = `${(p * 100).toFixed(2)}%`;
  return bar;
}

function outputSection(v: WalkView): HTMLElement {
  const o = v.output;
  const section = el(
    'section',
    { class: 'ml-walk-block', attrs: { 'aria-label': 'The output layer' } },
    el('h2', { text: 'After the last block: the output layer' }),
  );
  section.append(
    normStep(
      '7',
      'Final norm (ln_final)',
      o.norm,
      `resid_post of block ${v.model.layers - 1}`,
      o.normNote ?? 'The final norm was not found in the graph, so its numbers are not shown.',
    ),
  );
  const logits = new Float32Array(o.logits);
  const bars = el('div', { class: 'ml-walk-bars', attrs: { role: 'list', 'aria-label': 'Top predictions' } });
  const slider = el('input', {
    class: 'ml-walk-temperature',
    attrs: { type: 'range', min: '0.1', max: '3', step: '0.1', value: String(temperature), 'aria-label': 'Temperature' },
  }) as HTMLInputElement;
  const value = el('span', { class: 'ml-walk-temperature-value' });
  const drawBars = () => {
    const probs = softmaxAt(
      logits,
      o.top.map((t) => t.id),
      temperature,
    );
    value.textContent = `T = ${temperature.toFixed(1)}`;
    clear(bars);
    o.top.forEach((t, i) => {
      bars.appendChild(
        el(
          'div',
          { class: 'ml-walk-bar', attrs: { role: 'listitem', 'aria-label': `${tokenLabel(t.text)}: ${formatProb(probs[i])}` } },
          el('code', { class: 'ml-walk-bar-label', text: tokenLabel(t.text), title: quoted(t.text) }),
          el('span', { class: 'ml-walk-bar-track' }, fill(probs[i])),
          el('span', { class: 'ml-walk-bar-value', text: formatProb(probs[i]) }),
        ),
      );
    });
  };
  slider.addEventListener('input', () => {
    temperature = Number(slider.value);
    drawBars();
  });
  drawBars();
  const temperatureText = 'Temperature T divides the logits first: below 1 the distribution sharpens towards the top prediction, above 1 it flattens.';
  const predicts = v.model.predicts;
  const [title, text, f] =
    predicts === 'classes'
      ? [
          'Classifier head and softmax: the classes of the text',
          `The classifier's head turns the stream into one score per class (${logits.length}) for the whole text (BERT's reads the first token, [CLS], through a pooler; the head is not broken down here), and softmax turns the scores into the class probabilities. ${temperatureText}`,
          formula('P of each class equals softmax of the class scores over T', 'P(class) = softmax(z / T)'),
        ]
      : predicts === 'masked'
        ? [
            'Output layer and softmax: the token at this position',
            `The model's head turns the stream into one logit per vocabulary entry (${logits.length}; in BERT's masked-language-model head a dense layer, GELU and a norm come before the unembedding, not broken down here), and softmax turns the logits into probabilities for the token at this position. The text is as written, so the token is visible and the model mostly predicts it back; Model Lens' own probabilities for this model mask it first. ${temperatureText}`,
            formula('P of the token at this position equals softmax of the logits over T', 'P(token) = softmax(z / T)'),
          ]
        : [
            'Linear map and softmax: the next token',
            `The normalised vector is multiplied by the unembedding matrix, giving one logit per vocabulary entry (${logits.length}), and softmax turns the logits into probabilities. ${temperatureText}`,
            formula('P of the next token equals softmax of the logits over T', 'P(next) = softmax(z / T),  z = LN(h)W', sub('U')),
          ];
  section.append(
    step(
      '8',
      title,
      text,
      f,
      el('div', { class: 'ml-walk-temperature-row' }, el('label', { text: 'Temperature' }), slider, value),
      bars,
      check(o.check) ?? (o.unchecked ? checkLine(NaN, 0, o.unchecked) : el('span')),
    ),
  );
  return section;
}

function render(): void {
  const v = view;
  if (!v) return;
  allDimsBox.checked = allDims;
  clear(steps);
  steps.append(inputSection(v));
  const block = v.blocks[Math.min(layer, v.blocks.length - 1)];
  if (block) steps.append(blockSection(v, block));
  steps.append(outputSection(v));
  if (v.notes.length) steps.append(el('ul', { class: 'ml-walk-notes' }, ...v.notes.map((n) => el('li', { text: n }))));
}

function show(v: WalkView): void {
  view = v;
  layer = Math.min(layer, v.model.layers - 1);
  persist();
  clear(status);
  status.hidden = true;
  content.hidden = false;
  content.classList.remove('busy');
  const token = v.tokens[v.position];
  clear(header);
  header.append(
    el('h1', { class: 'ml-walk-title' }, 'Step by step: ', el('code', { text: tokenLabel(token.text), title: quoted(token.text) }), ` (token ${v.position})`),
    el(
      'div',
      { class: 'ml-muted' },
      `${v.model.name}: ${v.model.layers} blocks, ${v.model.heads} heads, d_model ${v.model.dModel}, ${v.model.precision} · ${v.document.name}`,
    ),
  );
  clear(tokenSelect);
  v.tokens.forEach((t, i) => {
    if (!t.special)
      tokenSelect.appendChild(el('vscode-option', { text: `${i}: ${tokenLabel(t.text)}`, attrs: { value: String(i), selected: i === v.position } }));
  });
  tokenSelect.value = String(v.position);
  clear(layerSelect);
  for (let L = 0; L < v.model.layers; L++)
    layerSelect.appendChild(el('vscode-option', { text: `Block ${L}`, attrs: { value: String(L), selected: L === layer } }));
  layerSelect.value = String(layer);
  render();
}

onThemeChange((kind) => {
  theme = kind;
  render();
});

onHostMessage(isToWalkPanel, (m) => {
  if (m.type === 'loading') showLoading(m.text);
  else if (m.type === 'error') {
    content.classList.remove('busy');
    showStatusError(status, content, 'Model Lens could not walk this token', m.message);
  } else show(m.view);
});
api.postMessage({ type: 'ready' });
