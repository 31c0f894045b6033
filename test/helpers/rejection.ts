import { expect } from 'vitest';
import { ModelLensError } from '../../src/engine/errors';

/** The ModelLensError a promise is rejected with; fails the test if it resolves or fails otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<ModelLensError> {
  const e = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(ModelLensError);
  return e as ModelLensError;
}
