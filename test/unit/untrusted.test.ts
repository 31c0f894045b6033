// Text from a model folder or a workspace, shown in VS Code's UI: with link, image and HTML
// payloads it must come out as the characters it holds, never as a link, an image or markup.
import { describe, expect, it } from 'vitest';
import { labelText, markdownCode, markdownText, plainText, visibleWhitespace } from '../../src/host/text/untrusted';

const LINK = '[Open Settings](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22curl%20x%7Csh%5Cn%22%7D)';
const IMAGE = '![](https://example.invalid/x.png)';
const HTML = '<img src=x onerror="document.title=1">';
const PAYLOADS = [LINK, IMAGE, HTML, `${IMAGE} ${LINK}`, '[a](https://example.invalid "title")', '[a](file:///etc/passwd)'];

/** What a VS Code notification makes a link of: `[label](target)`, target http(s):, command: or file: (no escapes are read). */
const NOTIFICATION_LINK = /\[[^\]]+\]\((?:https?:\/\/|command:|file:)[^)\s]+/i;

/** Undoes CommonMark's backslash escapes: what a Markdown renderer shows for escaped text. */
const unescapeMarkdown = (md: string) => md.replace(/\\([!-/:-@[-`{-~])/g, '$1');

describe('plainText (notifications)', () => {
  it('leaves no link a notification would render, alone or next to other neutralised text', () => {
    expect(`Model Lens: ${LINK}`).toMatch(NOTIFICATION_LINK); // what today's messages showed
    for (const payload of PAYLOADS) expect(`Model Lens: ${plainText(payload)}`).not.toMatch(NOTIFICATION_LINK);
    // Two pieces that would make a link together, e.g. a name and a path in parentheses.
    expect(`${plainText('see [here]')}(${plainText('command:workbench.action.openSettings')})`).not.toMatch(NOTIFICATION_LINK);
  });

  it('looks the same: only an invisible word joiner follows each ]', () => {
    expect(plainText(LINK)).toBe(LINK.replace('](', ']\u2060('));
    expect(plainText(HTML)).toBe(HTML); // notifications render no HTML
    expect(plainText('[ONNXRuntimeError] : 2 : INVALID_ARGUMENT')).toBe('[ONNXRuntimeError]\u2060 : 2 : INVALID_ARGUMENT');
    // A word joiner in the input is removed with the other invisible characters: only ours remain.
    expect(plainText('[a]\u2060\u2060(command:x)')).toBe('[a]\u2060 (command:x)');
  });

  it('makes one line without control or invisible characters', () => {
    expect(plainText('a\nb\r\n\tc\u0000d\u202eevil\u2066e\u200bf\u2028g')).toBe('a b c d evil e f g');
  });

  it('bounds the length, whatever the input, without splitting a character', () => {
    const huge = plainText('x'.repeat(10_000_000));
    expect(huge.length).toBeLessThanOrEqual(500);
    expect(huge.endsWith('…')).toBe(true);
    expect(plainText('😀'.repeat(100), 10)).toBe('😀😀😀😀…');
    expect(plainText('short', 10)).toBe('short');
  });
});

describe('labelText (status bar, quick picks)', () => {
  it('shows $(icon) as text, and no link either', () => {
    expect(labelText('$(gear) model $(sync~spin)')).toBe('\\$(gear) model \\$(sync~spin)');
    expect(labelText(LINK)).not.toMatch(NOTIFICATION_LINK);
  });
});

describe('markdownText (hovers, tooltips)', () => {
  it('escapes every ASCII punctuation character, so no link, image, autolink or HTML can start', () => {
    expect(markdownText(IMAGE)).toBe('\\!\\[\\]\\(https\\:\\/\\/example\\.invalid\\/x\\.png\\)');
    expect(markdownText(HTML)).toBe('\\<img src\\=x onerror\\=\\"document\\.title\\=1\\"\\>');
    expect(markdownText('www.example.invalid')).toBe('www\\.example\\.invalid');
    for (const payload of [...PAYLOADS, '&lt;script&gt;', '**bold** _it_ `code` # h', '$(gear)']) {
      const md = markdownText(payload);
      expect(md.replace(/\\[!-/:-@[-`{-~]/g, '')).not.toMatch(/[!-/:-@[-`{-~]/); // no punctuation left unescaped
      expect(unescapeMarkdown(md)).toBe(payload); // shown as exactly the characters it holds
    }
  });

  it('makes one bounded line, so no heading, list or table can start', () => {
    expect(markdownText('a\n# heading\n| x |')).toBe('a \\# heading \\| x \\|');
    expect(markdownText('x'.repeat(100_000)).length).toBeLessThanOrEqual(500);
  });
});

describe('markdownCode (tokens in hovers)', () => {
  it('fences any text as code, backticks included, whitespace made visible', () => {
    expect(visibleWhitespace(' a\tb\r\nc\n')).toBe('·a→b↵c↵');
    expect(markdownCode('a``b')).toBe('```a``b```');
    expect(markdownCode('`')).toBe('`` ` ``');
    expect(markdownCode('')).toBe('`∅`');
    expect(markdownCode(HTML)).toBe('`<img·src=x·onerror="document.title=1">`');
    expect(markdownCode(IMAGE)).toBe('`![](https://example.invalid/x.png)`');
  });

  it('shows invisible characters as � and cuts long tokens', () => {
    expect(markdownCode('a\u202eb\u0000c')).toBe('`a�b�c`');
    expect(markdownCode('y'.repeat(1000))).toBe(`\`${'y'.repeat(79)}…\``);
  });
});
