// What a key sends to the shell, as a VT100 keyboard would (xterm's codes for the keys a VT100
// had not). Pure functions over a KeyboardEvent's fields, so the tests can ask without a keyboard.

const CURSOR = {ArrowUp: 'A', ArrowDown: 'B', ArrowRight: 'C', ArrowLeft: 'D', Home: 'H', End: 'F'};

const NAMED = {
  Enter: '\r', Tab: '\t', Escape: '\x1b', Backspace: '\x7f', Delete: '\x1b[3~', Insert: '\x1b[2~',
  PageUp: '\x1b[5~', PageDown: '\x1b[6~', F1: '\x1bOP', F2: '\x1bOQ', F3: '\x1bOR', F4: '\x1bOS',
  F5: '\x1b[15~', F6: '\x1b[17~', F7: '\x1b[18~', F8: '\x1b[19~', F9: '\x1b[20~', F10: '\x1b[21~',
  F11: '\x1b[23~', F12: '\x1b[24~',
};

/** Ctrl with these sends the C0 control of the same row of the ASCII table. */
const CONTROL_PUNCTUATION = {'@': 0, ' ': 0, '2': 0, '[': 27, '\\': 28, ']': 29, '^': 30, '6': 30, '_': 31, '-': 31,
  '?': 127, '/': 31};

/**
 * The bytes for a keydown, or null when the key is not the terminal's: the browser keeps it
 * (Cmd shortcuts, Ctrl+V and Ctrl+Shift+C/V for the clipboard, Shift alone, keys typed through an
 * input method, which arrive as `input` events instead).
 * `applicationCursor`: the program asked for ESC O A… arrows (DECCKM; vim, less).
 */
export function keySequence(event, {applicationCursor = false} = {}) {
  const {key, ctrlKey: ctrl, altKey: alt, metaKey: meta, shiftKey: shift} = event;
  if (event.isComposing || event.keyCode === 229 || meta || !key) return null;
  if (key in CURSOR) {
    const final = CURSOR[key];
    return applicationCursor ? `\x1bO${final}` : `\x1b[${final}`;
  }
  if (key === 'Tab' && shift) return '\x1b[Z';
  if (key === 'Backspace' && ctrl) return '\x08';
  if (key in NAMED) return (alt ? '\x1b' : '') + NAMED[key];
  if ([...key].length !== 1) return null;
  if (ctrl && !alt) {
    const lower = key.toLowerCase();
    // The clipboard's own keys stay the browser's: Ctrl+V pastes (a `paste` event), Ctrl+Shift+C copies.
    if (lower === 'v' || (shift && lower === 'c')) return null;
    if (lower >= 'a' && lower <= 'z') return String.fromCharCode(lower.charCodeAt(0) - 96);
    if (key in CONTROL_PUNCTUATION) return String.fromCharCode(CONTROL_PUNCTUATION[key]);
    return null;
  }
  // Alt (Meta in readline's sense) sends ESC first; AltGr characters come with ctrl and alt both.
  return alt && !ctrl ? `\x1b${key}` : key;
}

/** Pasted text as typed: line ends as Enter, and bracketed when the program asked (mode 2004). */
export function pasteSequence(text, {bracketed = false} = {}) {
  const typed = text.replace(/\r\n?|\n/g, '\r');
  return bracketed ? `\x1b[200~${typed.replace(/\x1b\[201~/g, '')}\x1b[201~` : typed;
}
