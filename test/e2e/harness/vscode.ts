import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { declareLanguagePack } from './languagePack';
import { CHROMIUM, CODE_SERVER_ENTRY } from './paths';
import { hasExited, killGroup, logTail, registerTempDir, removeTempDir, spawnGroup } from './processes';
import { readSettings, setUserSetting, writeSettings, type Settings } from './settings';

export interface StartOptions {
  /** Folder to open. It is copied into a temp folder first, so tests may edit files freely. */
  workspace: string;
  /** The packaged extension, installed the way users install it. */
  vsixPath: string;
  /** Merged over defaults that keep the workbench quiet (no trust prompt, no welcome page). */
  userSettings?: Settings;
  /** Written to `.vscode/settings.json` of the workspace copy. */
  workspaceSettings?: Settings;
  /** Extra Chromium flags, e.g. WEBGPU_ARGS. */
  chromiumArgs?: string[];
  /**
   * Keep VS Code's workspace trust on (it is off by default): the folder then opens in
   * Restricted Mode, without the prompt.
   */
  restrictedMode?: boolean;
  /**
   * VS Code's display language, e.g. `zh-cn` (code-server's `--locale`, with a language pack that
   * declares it, see ./languagePack): the extension's package.nls.<locale>.json and l10n bundle
   * are used in it, while VS Code's own words stay English. English by default.
   */
  locale?: string;
}

export interface VSCode {
  page: Page;
  browser: Browser;
  /** The code-server address, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The workspace copy that is open. */
  workspace: string;
  /**
   * Changes one setting. A user setting is applied when this returns; a workspace setting
   * is written to the workspace's settings file, which VS Code picks up about a second
   * later: wait for its effect.
   */
  setSetting(key: string, value: unknown, scope?: 'user' | 'workspace'): Promise<void>;
  /** Closes the browser, kills every process started for this instance, removes its temp folder. */
  stop(): Promise<void>;
}

const DEFAULT_USER_SETTINGS: Settings = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
};

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Gives webviews a WebGPU adapter on the CPU (SwiftShader) where there is no GPU. */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];

const START_TIMEOUT_MS = 60_000;

export async function startVSCode(options: StartOptions): Promise<VSCode> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-e2e-'));
  registerTempDir(tmp);
  const dirs = {
    user: path.join(tmp, 'user'),
    extensions: path.join(tmp, 'extensions'),
    workspace: path.join(tmp, path.basename(options.workspace)),
    xdg: path.join(tmp, 'xdg'),
  };
  fs.cpSync(options.workspace, dirs.workspace, { recursive: true });
  fs.mkdirSync(dirs.extensions, { recursive: true });
  const userSettingsFile = path.join(dirs.user, 'User/settings.json');
  const workspaceSettingsFile = path.join(dirs.workspace, '.vscode/settings.json');
  writeSettings(userSettingsFile, { ...DEFAULT_USER_SETTINGS, ...options.userSettings });
  if (options.locale) declareLanguagePack(options.locale, dirs.user);
  if (options.workspaceSettings) writeSettings(workspaceSettingsFile, options.workspaceSettings);

  // code-server keeps its config and state, and Chromium its crash reports, under the XDG
  // folders (~/.config otherwise): point them into the temp folder so a run leaves nothing in $HOME.
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(dirs.xdg, 'config'),
    XDG_DATA_HOME: path.join(dirs.xdg, 'data'),
    XDG_CACHE_HOME: path.join(dirs.xdg, 'cache'),
  };
  const common = ['--user-data-dir', dirs.user, '--extensions-dir', dirs.extensions];
  const logFile = path.join(tmp, 'code-server.log');
  let browser: Browser | undefined;
  let stopped = false;
  let codeServer: ChildProcess | undefined;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await browser?.close().catch(() => undefined);
    if (codeServer) await killGroup(codeServer);
    removeTempDir(tmp);
  };

  try {
    await installExtension(options.vsixPath, common, env);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    codeServer = spawnGroup(
      process.execPath,
      [
        CODE_SERVER_ENTRY,
        ...common,
        '--auth',
        'none',
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        ...(options.restrictedMode ? [] : ['--disable-workspace-trust']),
        '--disable-getting-started-override',
        ...(options.locale ? ['--locale', options.locale] : []),
      ],
      logFile,
      env,
    );
    await waitForHttp(`${url}/healthz`, codeServer);

    browser = await chromium
      .launch({
        executablePath: CHROMIUM,
        args: [...CHROMIUM_ARGS, ...(options.chromiumArgs ?? [])],
        env,
        // Playwright's own signal handlers leave an interrupted vitest worker spinning as an
        // orphan; ./processes handles the signals, and Chromium quits when its pipe closes.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      })
      .catch((error: Error) => {
        throw new Error(`Chromium (${CHROMIUM}) did not start; run \`npm run setup\`.\n${error.message}`);
      });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${url}/?folder=${encodeURIComponent(dirs.workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: START_TIMEOUT_MS });

    return {
      page,
      browser,
      url,
      workspace: dirs.workspace,
      async setSetting(key, value, scope = 'user') {
        if (scope === 'user') await setUserSetting(page, userSettingsFile, key, value);
        else writeSettings(workspaceSettingsFile, { ...readSettings(workspaceSettingsFile), [key]: value });
      },
      stop,
    };
  } catch (error) {
    const log = logTail(logFile); // read before stop() removes it
    await stop();
    throw new Error(`VS Code did not start: ${(error as Error).message}\n--- code-server log ---\n${log}`, {
      cause: error,
    });
  }
}

async function installExtension(vsix: string, common: string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist; run \`npm run package\``);
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [CODE_SERVER_ENTRY, ...common, '--install-extension', vsix], {
    env,
    timeout: START_TIMEOUT_MS,
  }).catch((error: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(`installing ${vsix} failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
  if (!/successfully installed/i.test(stdout)) {
    throw new Error(`installing ${vsix} did not report success:\n${stdout}${stderr}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until the server answers; fails at once if the process dies first. */
async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      throw new Error(`code-server exited with ${child.exitCode ?? child.signalCode} before it answered`);
    }
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`code-server did not answer ${url} within ${START_TIMEOUT_MS / 1000} s`);
}
