// Text from a model folder or a workspace (node, tensor and output names, config.json's model
// name, ONNX Runtime's error text, tokenizer pieces, paths) shown in VS Code's own UI. VS Code
// reads meaning into such text: a notification turns `[label](command:…)` into a link that runs
// the command, a status bar text or quick pick renders `$(icon)`, and Markdown (hovers, tooltips)
// renders links, images (fetched as soon as the hover shows) and HTML. Every such string goes
// through one of these functions, which keep it the characters it holds: one line, no invisible
// characters, bounded in length.

/** Longest stretch of untrusted text shown in one place: a notification is read, not scrolled. */
const MAX_LENGTH = 300;
/** Longest token shown as code in a hover: a token is a word or so; a longer one is cut. */
const CODE_LENGTH = 80;

// C0 and C1 controls and DEL (line breaks included: one line is shown), and the invisible format
// characters that can make text read differently from what it is: soft hyphen, bidi marks,
// overrides and isolates, zero-width characters, line and paragraph separators, the BOM.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+/g;

/** At most `max` UTF-16 units, the last an ellipsis when cut; never half a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(text[end - 1] ?? '')) end--;
  return `${text.slice(0, end)}…`;
}

/** One bounded line: runs of invisible characters become one space. Cut first, so huge input costs nothing. */
function oneLine(text: string, max: number): string {
  return cut(text, max).replace(INVISIBLE, ' ');
}

/** Zero-width and not a line-break opportunity: text reads and wraps as if it were not there. */
const WORD_JOINER = '\u2060';

/**
 * For notifications (error, warning, information, progress titles): VS Code makes a link of
 * `[label](target)` there and reads no escapes, so every `]` is followed by an invisible word
 * joiner. No `](` is left, even where this text ends and the next piece starts with `(`, and the
 * text looks the same. (Look-alike brackets would show as boxes where fonts lack them.)
 */
export function plainText(text: string, maxLength = MAX_LENGTH): string {
  return oneLine(text, maxLength).replace(/\]/g, `]${WORD_JOINER}`);
}

/** For texts that also render `$(icon)`: status bar items and quick pick labels. `\$(` shows as `$(`. */
export function labelText(text: string, maxLength = MAX_LENGTH): string {
  return plainText(text, maxLength).replace(/\$\(/g, '\\$(');
}

/**
 * For Markdown (hovers, Markdown tooltips). CommonMark lets a backslash escape any ASCII
 * punctuation, which then stands for itself: with all of it escaped, no link, image, autolink,
 * HTML, entity or emphasis can start, and `$(icon)` stays text too.
 */
export function markdownText(text: string, maxLength = MAX_LENGTH): string {
  return oneLine(text, maxLength).replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

/** Whitespace made visible, so a hover about " \n" shows something. */
export function visibleWhitespace(text: string): string {
  return text
    .replace(/ /g, '·')
    .replace(/\t/g, '→')
    .replace(/\r\n|\n|\r/g, '↵');
}

/**
 * An inline code span in Markdown that holds any text, backticks included: Markdown is not
 * parsed inside it, whitespace is made visible and other invisible characters show as �.
 */
export function markdownCode(text: string, maxLength = CODE_LENGTH): string {
  const shown = cut(visibleWhitespace(text), maxLength).replace(INVISIBLE, '�') || '∅';
  const longest = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = shown.startsWith('`') || shown.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}
