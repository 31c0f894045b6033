// How much of a text the engine tokenizes: the model's window of positions, from the end of the
// text. Shared by the engine and by its host side (the request deadline scales with it), which
// must not import the engine itself.

/** Characters kept per position of the window when a huge text is cut before tokenizing. */
export const CHARS_PER_POSITION = 16;
