// Wires Model Lens together; every feature lives in its own module.
import * as vscode from 'vscode';
import { ExplainAttention, type ExplainArgs } from './commands/explainAttention';
import { AttentionHighlights } from './decorations/attentionHighlights';
import { ModelManager } from './modelManager';
import { ATTENTION_VIEW_TYPE, AttentionPanels } from './panels/attentionPanel';

export function activate(context: vscode.ExtensionContext): void {
  const models = new ModelManager(context);
  const highlights = new AttentionHighlights();
  const panels = new AttentionPanels(context.extensionUri, highlights);
  const explain = new ExplainAttention(models, panels);
  context.subscriptions.push(
    models,
    highlights,
    panels,
    vscode.commands.registerCommand('modelLens.explainAttention', (args?: ExplainArgs) => explain.run(args)),
    vscode.commands.registerCommand('modelLens.clearAttentionHighlights', () => highlights.clear()),
    vscode.window.registerWebviewPanelSerializer(ATTENTION_VIEW_TYPE, panels.serializer(explain.restore)),
  );
}

export function deactivate(): void {}
