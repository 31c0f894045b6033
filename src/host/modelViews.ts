// The features both editions wire the same way (desktop: extension.ts; web: src/web/extension.ts):
// the attention panels and their editor colourings, Why This Token?, Walk Through the
// Transformer, and on top of the token probabilities the edition chose, the heatmap, the hover and
// the status bar item.
import * as vscode from 'vscode';
import { ExplainAttention, type ExplainArgs } from './commands/explainAttention';
import { WalkTransformer } from './commands/walkTransformer';
import { WhyThisToken } from './commands/whyThisToken';
import { AblationDecorations } from './decorations/ablationDecorations';
import { AblationEffects } from './decorations/ablationEffect';
import { AttentionHighlights } from './decorations/attentionHighlights';
import { SourceHighlights } from './decorations/sourceHighlights';
import { TokenHeatmap } from './decorations/tokenHeatmap';
import { TokenHoverProvider } from './hover/hoverProvider';
import type { ModelManager } from './modelManager';
import { ATTENTION_VIEW_TYPE, AttentionPanels } from './panels/attentionPanel';
import { WALK_VIEW_TYPE, WalkPanel } from './panels/walkPanel';
import { WHY_VIEW_TYPE, WhyPanel } from './panels/whyPanel';
import type { TokenProbabilities } from './probabilities/tokenProbabilities';
import type { RemoteProbabilities } from './remote/remoteProbabilities';
import { ModelStatusBar } from './statusBar';

/**
 * Registers the shared features in `context`. `probabilities` is the edition's source of token
 * probabilities (`remote` when a completions server can answer for the local model); the hover
 * and heatmap work on documents `documents` selects.
 */
export function registerModelViews(
  context: vscode.ExtensionContext,
  models: ModelManager,
  probabilities: TokenProbabilities,
  documents: vscode.DocumentSelector,
  remote?: RemoteProbabilities,
): void {
  const highlights = new AttentionHighlights();
  // What heads switched off in an attention panel did, for the hover, the editor and the heatmap.
  const ablation = new AblationEffects(models.onDidChangeModel);
  const panels = new AttentionPanels(
    context.extensionUri,
    highlights,
    (adapter) => models.reportGpuAdapter(adapter),
    (text, options, token) => models.analyze(text, options, token),
    ablation,
  );
  const explain = new ExplainAttention(models, panels);
  const sourceHighlights = new SourceHighlights();
  const whyPanel = new WhyPanel(context.extensionUri, sourceHighlights, {
    choose: (view, target, foil) => why.rechoose(view, target, foil),
    openHead: (view, layer, head) => why.openHead(view, layer, head),
  });
  const why = new WhyThisToken(models, whyPanel);
  const walkPanel = new WalkPanel(context.extensionUri, {
    pick: (view, position) => walk.pick(view, position),
    openHead: (view, layer, head) => walk.openHead(view, layer, head),
  });
  const walk = new WalkTransformer(models, walkPanel);
  const heatmap = new TokenHeatmap(probabilities, ablation);
  context.subscriptions.push(
    highlights,
    ablation,
    new AblationDecorations(ablation),
    panels,
    probabilities,
    heatmap,
    new ModelStatusBar(models, probabilities, remote, heatmap),
    vscode.commands.registerCommand('modelLens.explainAttention', (args?: ExplainArgs) => explain.run(args)),
    // The attention panel's title bar.
    vscode.commands.registerCommand('modelLens.exportAttention', () => panels.exportShown()),
    vscode.commands.registerCommand('modelLens.pinAttentionPanel', () => panels.setPinned(true)),
    vscode.commands.registerCommand('modelLens.unpinAttentionPanel', () => panels.setPinned(false)),
    vscode.commands.registerCommand('modelLens.clearAttentionHighlights', () => highlights.clear()),
    sourceHighlights,
    whyPanel,
    vscode.commands.registerCommand('modelLens.whyThisToken', (args?: unknown) => why.run(args)),
    vscode.commands.registerCommand('modelLens.clearSourceHighlights', () => sourceHighlights.clear()),
    walkPanel,
    vscode.commands.registerCommand('modelLens.walkTransformer', (args?: unknown) => walk.run(args)),
    vscode.commands.registerTextEditorCommand('modelLens.showTokenHeatmap', (editor) => heatmap.show(editor)),
    vscode.commands.registerCommand('modelLens.clearTokenHeatmap', () => heatmap.clear(undefined)),
    vscode.window.registerWebviewPanelSerializer(ATTENTION_VIEW_TYPE, panels.serializer(explain.restore)),
    vscode.window.registerWebviewPanelSerializer(WHY_VIEW_TYPE, whyPanel.serializer(why.restore)),
    vscode.window.registerWebviewPanelSerializer(WALK_VIEW_TYPE, walkPanel.serializer(walk.restore)),
    vscode.languages.registerHoverProvider(documents, new TokenHoverProvider(models, probabilities, ablation)),
  );
}
