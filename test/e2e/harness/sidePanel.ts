import type { Frame } from 'playwright-core';

/** The model the side panel names (empty while it names none): a function to poll, e.g. until it names lens-tiny. */
export function sidePanelModel(side: Frame): () => Promise<string> {
  return () =>
    side
      .locator('.ml-model-name')
      .first()
      .innerText()
      .catch(() => '');
}
