// Type guards for what a webview receives or restores: messages from the host and saved state
// are checked before they are believed.

export const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object';
export const isIndex = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
