// Model Lens: Select Model… — one place to choose the model: the default one, a recent one, or a
// folder or .onnx file to browse for. The status bar item and the side panel's title bar open it.
// The choice is the user setting modelLens.modelPath, which loads the model.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { useModel } from '../config';
import type { ModelManager } from '../modelManager';
import { labelText } from '../text/untrusted';

/** Asks for a model folder or .onnx file. */
export async function browseForModel(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: true, canSelectMany: false, filters: { 'ONNX model': ['onnx'] }, title: 'Open a model folder or .onnx file' });
  return picked?.[0]?.fsPath;
}

interface ModelItem extends vscode.QuickPickItem {
  /** The modelPath to set; '' for the default model. */
  target?: string;
  action?: 'browse' | 'sidePanel';
}

export async function selectModel(models: ModelManager): Promise<void> {
  const current = models.current?.folder;
  const inUse = (folder: string) => (folder === current ? ' · in use' : '');
  const items: ModelItem[] = [
    { label: '$(home) Default model', description: `shipped with Model Lens${inUse(models.defaultModelPath)}`, target: '' },
    ...(models.recentModels.length ? [{ label: 'Recent', kind: vscode.QuickPickItemKind.Separator } as ModelItem] : []),
    // Folder names come from the user's disk: shown as text, never as icons.
    ...models.recentModels.map((target) => ({ label: `$(history) ${labelText(path.basename(target), 60)}`, description: `${labelText(path.dirname(target), 80)}${inUse(target)}`, target })),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(folder-opened) Browse for a model folder or .onnx file…', action: 'browse' },
    { label: '$(layout-sidebar-left) Open the side panel', description: 'what the model in use is, and what it does with the selection', action: 'sidePanel' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Model Lens: Select Model', placeHolder: models.current ? `In use: ${labelText(models.current.name, 60)}` : 'Choose the model Model Lens runs' });
  if (!picked) return;
  if (picked.action === 'sidePanel') {
    await vscode.commands.executeCommand('modelLens.openSidePanel');
    return;
  }
  const target = picked.action === 'browse' ? await browseForModel() : picked.target;
  if (target !== undefined) await useModel(target);
}
