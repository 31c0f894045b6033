// The webviews' words in VS Code's display language. The host hands every page the bundle that
// vscode.l10n reads (l10n/bundle.l10n.<locale>.json: each string's English text → its
// translation) on the root element, because a page builds its headings as it starts, before any
// message. A string is looked up by its English text and its {0}, {1}… filled in, as
// vscode.l10n.t does on the host; a string the bundle lacks (or English) stays English.
import { L10N_ATTRIBUTES, type L10nBundle } from '../../src/shared/protocol';

/** The page, as far as this reads it; absent where this module runs outside a webview (unit tests). */
interface Page {
  getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
  documentElement: { lang: string };
}

function readBundle(): L10nBundle {
  const page = (globalThis as { document?: Page }).document;
  const root = page?.getElementById('root');
  const lang = root?.dataset[L10N_ATTRIBUTES.lang];
  // Chinese text in a page marked English is drawn with whatever CJK font comes first.
  if (page && lang) page.documentElement.lang = lang;
  const json = root?.dataset[L10N_ATTRIBUTES.bundle];
  if (!json) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (!parsed || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

let bundle: L10nBundle | undefined;

/** `message` in the display language, with `{0}`, `{1}`… replaced by `args`. */
export function t(message: string, ...args: (string | number)[]): string {
  bundle ??= readBundle();
  return format(bundle[message] ?? message, args);
}

/** `one` or `other` by `n` (English plurals; other languages may give both the same text), with {0} = n. */
export function plural(n: number, one: string, other: string, ...args: (string | number)[]): string {
  return t(n === 1 ? one : other, n, ...args);
}

function format(text: string, args: (string | number)[]): string {
  return args.length ? text.replace(/\{(\d+)\}/g, (match, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : match)) : text;
}
