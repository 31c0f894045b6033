// node:buffer for the web bundles: the one constant the engine reads (sessionBytes.ts, native only).
export const constants = { MAX_LENGTH: 2 ** 32 };
