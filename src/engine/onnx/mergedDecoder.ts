// A merged decoder (Optimum's and transformers.js' decoder_model_merged.onnx) is one If whose
// branches are the decoder with a KV cache and without one, reading the same weights from the
// outer graph. Its layers live inside the branches, where the engine cannot reach them, so the
// branch without a cache is made the graph itself: the If node and the inputs only the other
// branch read are hidden in place, and the branch's nodes are appended after the file's bytes.
//
// Hiding works on protobuf's wire format: the field's tag is changed to a field number that
// onnx.proto reserves in GraphProto (3 for a node, 4 for an input), so every parser skips it as
// an unknown field and nothing in the file moves — the weights stay at their offsets, which the
// engine reads them from (see sessionBytes.ts), and no copy of the model is made. ONNX Runtime
// runs every node of a graph, read or not, so keeping the If beside an inlined copy would run
// the decoder twice.
import { makeNode } from './emit';
import { encodeSuffix, type ModelProto, type NodeProto, type TensorProto } from './model';
import {
  ATTRIBUTE_GRAPH,
  ATTRIBUTE_NAME,
  concat,
  delimited,
  type Field,
  fields,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  LENGTH_DELIMITED,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  tag,
} from './wire';

/** GraphProto's reserved field numbers the hidden entries are moved to (one-byte tags, like the fields they replace). */
const HIDDEN_NODE = 3;
const HIDDEN_INPUT = 4;

/** The parts of a decoded branch graph read here (protobufjs' object form). */
interface BranchGraph {
  node?: { input?: string[]; attribute?: { g?: BranchGraph; graphs?: BranchGraph[] }[] }[];
  output?: { name: string }[];
}

export interface MergedDecoder {
  /** Index of the If among the graph's nodes. */
  node: number;
  /** The branch that reads no cache: 'then_branch' or 'else_branch'. */
  branch: string;
  /** The graph inputs only the If read, and nothing once the branch is the graph: the cache and the If's condition. */
  unread: string[];
}

/** Every name the nodes of a graph read, nested graphs included. */
function readNames(graph: BranchGraph | undefined, into = new Set<string>()): Set<string> {
  for (const node of graph?.node ?? []) {
    for (const name of node.input ?? []) if (name) into.add(name);
    for (const a of node.attribute ?? []) for (const g of [a.g, ...(a.graphs ?? [])]) if (g) readNames(g, into);
  }
  return into;
}

function branchOf(node: NodeProto, name: string): BranchGraph | undefined {
  return node.attribute.find((a) => a.name === name)?.g as BranchGraph | undefined;
}

/**
 * The graph's merged-decoder If, when it has one: an If on a graph input whose two branches read
 * the graph's inputs, one of them strictly more (the cache) than the other. Decided from what the
 * branches read, not from names.
 */
export function findMergedDecoder(model: ModelProto): MergedDecoder | undefined {
  const graph = model.graph;
  const inputs = new Set(graph.input.map((i) => i.name));
  const index = graph.node.findIndex((n) => n.opType === 'If' && (n.domain ?? '') === '' && inputs.has(n.input[0]));
  if (index < 0) return undefined;
  const node = graph.node[index];
  const reads = (name: string) => [...readNames(branchOf(node, name))].filter((n) => inputs.has(n));
  const [then, otherwise] = [reads('then_branch'), reads('else_branch')];
  const within = (a: string[], b: string[]) => a.length < b.length && a.every((n) => b.includes(n));
  const branch = within(otherwise, then) ? 'else_branch' : within(then, otherwise) ? 'then_branch' : undefined;
  if (!branch) return undefined;
  const outputs = branchOf(node, branch)?.output ?? [];
  if (outputs.length !== node.output.length) return undefined;
  // What still reads each input once the If is gone: the other nodes of the graph, and the branch.
  const stillRead = readNames({ node: graph.node.filter((_, i) => i !== index) as BranchGraph['node'] }, readNames(branchOf(node, branch)));
  const readByIf = new Set([node.input[0], ...then, ...otherwise]);
  const outputsOfGraph = new Set(graph.output.map((o) => o.name));
  const unread = graph.input.map((i) => i.name).filter((n) => readByIf.has(n) && !stillRead.has(n) && !outputsOfGraph.has(n));
  return { node: index, branch, unread };
}

/** Moves an entry of a graph to a reserved field number in place: parsers then skip it. */
function hide(entry: Field, reserved: number): void {
  if (entry.encoded[0] !== tag(entry.number, LENGTH_DELIMITED)) throw new Error('a graph entry with a multi-byte tag cannot be hidden in place');
  entry.encoded[0] = tag(reserved, LENGTH_DELIMITED);
}

/** The value of a string field of a message. */
function stringField(message: Uint8Array, number: number): string | undefined {
  const f = fields(message).find((x) => x.number === number && x.body);
  return f?.body && new TextDecoder().decode(f.body);
}

/**
 * Makes `merged.branch` the graph: hides the If node and the unread inputs in `model`'s own bytes,
 * and returns what to append to them (`suffix`: the branch's nodes and initializers as they are
 * encoded in the file, and an Identity from each branch output to the If's output where their
 * names differ) and the graph that the bytes and the suffix now hold (`inlined`: protobuf merges
 * the appended graph into the file's, which ONNX Runtime does, but the engine's decoder does not).
 */
export function inlineBranch(model: Uint8Array, decoded: ModelProto, merged: MergedDecoder): { suffix: Uint8Array; inlined: ModelProto } {
  const unread = new Set(merged.unread);
  let nodeIndex = 0;
  let branchEntries: Field[] | undefined;
  for (const field of fields(model)) {
    if (field.number !== MODEL_GRAPH || !field.body) continue;
    for (const entry of fields(field.body)) {
      if (entry.number === GRAPH_INPUT && entry.body && unread.has(stringField(entry.body, 1) ?? '')) hide(entry, HIDDEN_INPUT);
      if (entry.number !== GRAPH_NODE || !entry.body) continue;
      if (nodeIndex++ !== merged.node) continue;
      const attribute = fields(entry.body).find((a) => a.number === NODE_ATTRIBUTE && a.body && stringField(a.body, ATTRIBUTE_NAME) === merged.branch);
      const graph = attribute?.body && fields(attribute.body).find((g) => g.number === ATTRIBUTE_GRAPH);
      if (!graph?.body) throw new Error(`the If has no ${merged.branch}`);
      branchEntries = fields(graph.body).filter((g) => g.number === GRAPH_NODE || g.number === GRAPH_INITIALIZER);
      hide(entry, HIDDEN_NODE);
    }
  }
  if (!branchEntries) throw new Error('the If node was not found in the model bytes');
  const graph = decoded.graph;
  const ifNode = graph.node[merged.node];
  const branch = branchOf(ifNode, merged.branch) as (BranchGraph & { node: NodeProto[]; initializer?: TensorProto[] }) | undefined;
  const branchOutputs = branch?.output ?? [];
  const identities = ifNode.output
    .map((name, i) => [branchOutputs[i].name, name] as const)
    .filter(([from, to]) => to && from !== to)
    .map(([from, to]) => makeNode('Identity', [from], [to], {}, '', `modellens_branch_output_${to}`));
  // Two graph fragments one after the other: protobuf merges them, as it merges both with the file's graph.
  const suffix = concat([
    ...delimited(
      MODEL_GRAPH,
      branchEntries.map((e) => e.encoded),
    ),
    encodeSuffix({ node: identities, input: [], output: [], initializer: [] }),
  ]);
  const inlined: ModelProto = {
    ...decoded,
    graph: {
      ...graph,
      node: [...graph.node.filter((_, i) => i !== merged.node), ...(branch?.node ?? []), ...identities],
      initializer: [...graph.initializer, ...(branch?.initializer ?? [])],
      input: graph.input.filter((i) => !unread.has(i.name)),
    },
  };
  return { suffix, inlined };
}
