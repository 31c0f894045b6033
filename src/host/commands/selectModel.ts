// Model Lens: Select Model… — one place to choose the model: the default one, a recent one, one
// downloaded from the Hub, or a folder or .onnx file to browse for; it also leads to Download
// Model…. The status bar item and the side panel's title bar open it. The choice is the user
// setting modelLens.modelPath, which loads the model. Its words are in VS Code's display language
// (vscode.l10n); folder and repository names are shown as they are.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { useModel } from '../config';
import type { ModelManager } from '../modelManager';
import { megabytes } from '../hub/fileDownload';
import { labelText } from '../text/untrusted';
import { variantLabel, type DownloadModel } from './downloadModel';

/** Asks for a model folder or .onnx file. */
export async function browseForModel(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: true,
    canSelectMany: false,
    filters: { [vscode.l10n.t('ONNX model')]: ['onnx'] },
    title: vscode.l10n.t('Open a model folder or .onnx file'),
  });
  return picked?.[0]?.fsPath;
}

interface ModelItem extends vscode.QuickPickItem {
  /** The modelPath to set; '' for the default model. */
  target?: string;
  action?: 'browse' | 'sidePanel' | 'download';
}

export async function selectModel(models: ModelManager, download: DownloadModel): Promise<void> {
  const current = models.current?.folder;
  const inUse = (folder: string) => (folder === current ? vscode.l10n.t(' · in use') : '');
  const downloaded = download.downloaded();
  const downloadedFolders = new Set(downloaded.map((m) => m.folder));
  // A downloaded model in use is a recent one too: it is listed once, with where it came from.
  const recent = models.recentModels.filter((target) => !downloadedFolders.has(target));
  const separator = (label: string) => ({ label, kind: vscode.QuickPickItemKind.Separator }) as ModelItem;
  const items: ModelItem[] = [
    {
      label: `$(home) ${vscode.l10n.t('Default model')}`,
      description: `${vscode.l10n.t('shipped with Model Lens')}${inUse(models.defaultModelPath)}`,
      target: '',
    },
    ...(recent.length ? [separator(vscode.l10n.t('Recent'))] : []),
    // Folder names come from the user's disk: shown as text, never as icons.
    ...recent.map((target) => ({
      label: `$(history) ${labelText(path.basename(target), 60)}`,
      description: `${labelText(path.dirname(target), 80)}${inUse(target)}`,
      target,
    })),
    ...(downloaded.length ? [separator(vscode.l10n.t('Downloaded'))] : []),
    // Repository names come from a server: text too.
    ...downloaded.map((m) => ({
      label: `$(cloud) ${labelText(m.repo, 80)}`,
      description: `${labelText(variantLabel(m.variant), 60)} · ${megabytes(m.bytes)}${inUse(m.folder)}`,
      target: m.folder,
    })),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: `$(folder-opened) ${vscode.l10n.t('Browse for a model folder or .onnx file…')}`, action: 'browse' },
    {
      label: `$(cloud-download) ${vscode.l10n.t('Download a model from the Hugging Face Hub…')}`,
      description: vscode.l10n.t('GPT-2, SmolLM2, Qwen2.5, Phi-3 or any repository with ONNX files'),
      action: 'download',
    },
    {
      label: `$(layout-sidebar-left) ${vscode.l10n.t('Open the side panel')}`,
      description: vscode.l10n.t('what the model in use is, and what it does with the selection'),
      action: 'sidePanel',
    },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Model Lens: Select Model'),
    placeHolder: models.current ? vscode.l10n.t('In use: {0}', labelText(models.current.name, 60)) : vscode.l10n.t('Choose the model Model Lens runs'),
  });
  if (!picked) return;
  if (picked.action === 'sidePanel') {
    await vscode.commands.executeCommand('modelLens.openSidePanel');
    return;
  }
  if (picked.action === 'download') {
    await download.run();
    return;
  }
  const target = picked.action === 'browse' ? await browseForModel() : picked.target;
  if (target !== undefined) await useModel(target);
}
