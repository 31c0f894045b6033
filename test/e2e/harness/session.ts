import { afterAll, afterEach, beforeAll } from 'vitest';
import { SAMPLE_WORKSPACE, VSIX_PATH } from './paths';
import { startVSCode, type StartOptions, type VSCode } from './vscode';

/** What to start: the sample workspace and the packaged extension unless it says otherwise. */
export type SessionOptions = Partial<StartOptions>;

/** The VS Code of a test file: everything of VSCode but stop(), which the file's hooks call. */
export type VSCodeSession = Omit<VSCode, 'stop'>;

function start(options: SessionOptions): Promise<VSCode> {
  return startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH, ...options });
}

/**
 * One VS Code for all the tests of a file: started before the first test and stopped after the
 * last (both within the config's hookTimeout). Call it at the top level of the file; the object
 * it returns reads the running instance, so `const { page } = code` works inside a test.
 */
export function useVSCode(options: SessionOptions = {}): VSCodeSession {
  let code: VSCode | undefined;
  beforeAll(async () => {
    code = await start(options);
  });
  afterAll(async () => {
    await code?.stop();
  });
  const running = (): VSCode => {
    // Read at the top level of the file, or after a failed start.
    if (!code) throw new Error('VS Code is not running: it starts before the first test of the file');
    return code;
  };
  return {
    get page() {
      return running().page;
    },
    get browser() {
      return running().browser;
    },
    get url() {
      return running().url;
    },
    get workspace() {
      return running().workspace;
    },
    setSetting: (key, value, scope) => running().setSetting(key, value, scope),
  };
}

/**
 * A VS Code of its own for each test, for tests that start it differently (Restricted Mode,
 * settings, another workspace). Returns the function that starts it inside the test; whatever
 * it started is stopped after the test, passed or failed.
 */
export function useVSCodeEachTest(): (options?: SessionOptions) => Promise<VSCode> {
  let code: VSCode | undefined;
  afterEach(async () => {
    await code?.stop();
    code = undefined;
  });
  return async (options = {}) => {
    await code?.stop(); // a second start in the same test replaces the first
    code = await start(options);
    return code;
  };
}
