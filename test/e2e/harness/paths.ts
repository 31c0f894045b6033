import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the end-to-end tests find the project's pieces; everything hangs off the repository root. */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Written by `npm run setup` once code-server is fully installed (see scripts/setup.sh). */
export const CODE_SERVER_STAMP = path.join(REPO_ROOT, '.cache/code-server/installed');
export const CODE_SERVER_ENTRY = path.join(REPO_ROOT, '.cache/code-server/node_modules/code-server/out/node/entry.js');

/** Debian's Chromium (installed by `npm run setup`); Playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Produced by `npm run package`, which the e2e global setup runs once. */
export const VSIX_PATH = path.join(REPO_ROOT, 'dist/model-lens.vsix');

/** The sample workspace the tests open (copied first, so tests may change it freely). */
export const SAMPLE_WORKSPACE = path.join(REPO_ROOT, 'test/e2e/workspace');

/** Screenshots and other artefacts worth looking at after a run (git-ignored). */
export const TEST_OUTPUT = path.join(REPO_ROOT, 'test-output');
