// The webviews' t(): the display language's string for an English one, from the bundle the host
// puts on the page's root element, with its arguments filled in; English where there is none.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { L10N_ATTRIBUTES } from '../../../src/shared/protocol';

/** A page whose root element carries `data` the way webviewHtml writes it. */
function page(data: Record<string, string>): { documentElement: { lang: string } } {
  const doc = { documentElement: { lang: 'en' }, getElementById: (id: string) => (id === 'root' ? { dataset: data } : null) };
  vi.stubGlobal('document', doc);
  return doc;
}

/** A fresh copy of the module: it reads the page once. */
async function l10n(): Promise<typeof import('../../../webview/shared/l10n')> {
  vi.resetModules();
  return import('../../../webview/shared/l10n');
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('webview t()', () => {
  it('gives the translation and fills its arguments, in their own order', async () => {
    const doc = page({
      [L10N_ATTRIBUTES.lang]: 'zh-cn',
      [L10N_ATTRIBUTES.bundle]: JSON.stringify({
        'Model view': '模型视图',
        'Layer {0}, head {1}': '第 {0} 层，第 {1} 个头',
        'Analysing {0} characters with {1}…': '正在用 {1} 分析 {0} 个字符…',
      }),
    });
    const { t } = await l10n();
    expect(t('Model view')).toBe('模型视图');
    expect(t('Layer {0}, head {1}', 3, 5)).toBe('第 3 层，第 5 个头');
    expect(t('Analysing {0} characters with {1}…', 12, 'gpt2')).toBe('正在用 gpt2 分析 12 个字符…');
    expect(doc.documentElement.lang).toBe('zh-cn');
  });

  it('falls back to English for a string the bundle lacks, and without a bundle', async () => {
    page({ [L10N_ATTRIBUTES.bundle]: JSON.stringify({ 'Model view': '模型视图' }) });
    expect((await l10n()).t('Head {0}', 2)).toBe('Head 2');
    page({});
    expect((await l10n()).t('Model view')).toBe('Model view');
  });

  it('ignores a bundle that is not an object of strings', async () => {
    page({ [L10N_ATTRIBUTES.bundle]: '{not json' });
    expect((await l10n()).t('Model view')).toBe('Model view');
    page({ [L10N_ATTRIBUTES.bundle]: JSON.stringify({ 'Model view': 42, 'Head view': '头视图' }) });
    const { t } = await l10n();
    expect(t('Model view')).toBe('Model view');
    expect(t('Head view')).toBe('头视图');
  });

  it('leaves an argument it was not given as written, and picks the plural form by n', async () => {
    page({});
    const { plural, t } = await l10n();
    expect(t('{0} of {1}', 1)).toBe('1 of {1}');
    expect(plural(1, '{0} token', '{0} tokens')).toBe('1 token');
    expect(plural(3, '{0} token', '{0} tokens')).toBe('3 tokens');
  });

  it('is English outside a webview (no document at all)', async () => {
    vi.stubGlobal('document', undefined);
    expect((await l10n()).t('Layer {0}', 4)).toBe('Layer 4');
  });
});
