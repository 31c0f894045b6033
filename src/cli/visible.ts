/** Text as one printable line: newlines, tabs and control characters escaped as in JSON. */
export function visible(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
