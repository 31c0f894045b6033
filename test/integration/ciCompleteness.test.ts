// Tests choose their cases by what this machine has: the native runtime (a second backend) and the
// shared fixtures. Anywhere those are missing the cases are left out quietly; in CI they must all
// run, so a missing one fails here instead of shrinking the suite.
import { expect, it } from 'vitest';
import { nativeRuntimeInstalled } from '../../src/host/backendChoice';
import { exists, TINY_GPT2 } from '../helpers/paths';

it.runIf(process.env.CI)('has everything the optional test cases need, in CI', () => {
  expect(nativeRuntimeInstalled(), "onnxruntime-node loads (the native backend's cases)").toBe(true);
  expect(exists(TINY_GPT2), `${TINY_GPT2} (see ../shared/fixtures)`).toBe(true);
});
