// The screen of a terminal session: a small VT100 emulator (with the few xterm additions
// programs send whatever TERM says: alternate screen, cursor show/hide, bracketed paste,
// colours). Output goes in as text through write(); what is on the screen comes out as rows of
// cells. No DOM here: jobs/terminal-view.js draws it, and the tests feed it strings.
//
// It never answers the program (no reply to "where is the cursor?", ESC [ 6 n, or "what are you?",
// ESC [ c): the server replays recent output to every browser that connects, so a question asked
// once would be answered again by each browser and each reconnect, typing the answers into
// whatever reads the shell's input then. TERM=vt100 programs do not wait for those answers.

/** Cell attributes, one number per cell: colours are 0 (the default) or 1–16 (colour n − 1). */
export const ATTR = {FG: 0x1f, BG_SHIFT: 5, BG: 0x1f << 5, BOLD: 1 << 10, UNDERLINE: 1 << 11, INVERSE: 1 << 12};

const TAB_WIDTH = 8;
const MAX_PARAMS = 32;
/** An OSC or DCS string longer than this is still skipped, just not kept. */
const MAX_STRING = 4096;

/** DEC special graphics (ESC ( 0): the line-drawing characters `dialog` and `mc` draw boxes with. */
const DEC_GRAPHICS = {
  '`': '◆', a: '▒', f: '°', g: '±', j: '┘', k: '┐', l: '┌', m: '└', n: '┼', o: '⎺', p: '⎻', q: '─',
  r: '⎼', s: '⎽', t: '├', u: '┤', v: '┴', w: '┬', x: '│', y: '≤', z: '≥', '{': 'π', '|': '≠', '}': '£', '~': '·',
};

/** Characters a terminal gives two columns (East Asian wide, most emoji): enough for `ls` to line up. */
function isWide(code) {
  return code >= 0x1100 && (code <= 0x115f || code === 0x2329 || code === 0x232a
    || (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) || (code >= 0xac00 && code <= 0xd7a3)
    || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60)
    || (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1f300 && code <= 0x1f64f)
    || (code >= 0x1f900 && code <= 0x1f9ff)
    || (code >= 0x20000 && code <= 0x3fffd));
}

/** Combining marks and zero-width joiners: they join the character before them. */
function isZeroWidth(code) {
  return (code >= 0x0300 && code <= 0x036f) || (code >= 0x200b && code <= 0x200f) || (code >= 0x20d0 && code <= 0x20ff)
    || (code >= 0xfe00 && code <= 0xfe0f) || code === 0xfeff;
}

/** One of the 16 colours for an xterm 256-colour index or an RGB triple. */
function nearestColor(red, green, blue) {
  const bright = Math.max(red, green, blue) > 191;
  const base = (red > 95 ? 1 : 0) | (green > 95 ? 2 : 0) | (blue > 95 ? 4 : 0);
  return base + (bright && base !== 0 ? 8 : 0);
}

function color256(index) {
  if (index < 16) return index;
  if (index >= 232) {
    const level = (index - 232) * 10 + 8;
    return level < 64 ? 0 : level < 128 ? 8 : level < 200 ? 7 : 15;
  }
  const cube = index - 16;
  const level = (step) => (step === 0 ? 0 : 55 + step * 40);
  return nearestColor(level(Math.floor(cube / 36)), level(Math.floor(cube / 6) % 6), level(cube % 6));
}

/** A row of cells: `chars[i]` is what column i shows ('' right of a wide character), `attrs[i]` how. */
export class Line {
  constructor(cols) {
    this.chars = new Array(cols).fill(' ');
    this.attrs = new Array(cols).fill(0);
    /** Bumped on every change, so a view redraws only the rows that changed. */
    this.version = 0;
  }

  get length() {
    return this.chars.length;
  }

  text() {
    return this.chars.join('').replace(/ +$/, '');
  }

  clear(from, to) {
    for (let column = Math.max(0, from); column < Math.min(to, this.chars.length); column += 1) {
      this.chars[column] = ' ';
      this.attrs[column] = 0;
    }
    this.version += 1;
  }

  /**
   * Cuts or pads the row to `cols`. What a narrower screen cut off comes back when it widens
   * again, unless the row was written to in between (a phone turned and back loses nothing).
   */
  resize(cols) {
    const width = this.chars.length;
    const earlier = this.cut?.version === this.version ? this.cut : {chars: [], attrs: []};
    if (cols < width) {
      const chars = this.chars.splice(cols);
      const attrs = this.attrs.splice(cols);
      this.version += 1;
      this.cut = {chars: [...chars, ...earlier.chars], attrs: [...attrs, ...earlier.attrs], version: this.version};
      return;
    }
    const back = Math.min(cols - width, earlier.chars.length);
    this.chars.push(...earlier.chars.slice(0, back));
    this.attrs.push(...earlier.attrs.slice(0, back));
    while (this.chars.length < cols) {
      this.chars.push(' ');
      this.attrs.push(0);
    }
    this.version += 1;
    this.cut = back < earlier.chars.length
      ? {chars: earlier.chars.slice(back), attrs: earlier.attrs.slice(back), version: this.version} : null;
  }
}

export class TerminalScreen {
  /** `scrollback`: lines kept above the screen (at least 2000); `onBell` is called for BEL. */
  constructor(rows = 24, cols = 80, {scrollback = 5000, onBell = null} = {}) {
    this.rows = rows;
    this.cols = cols;
    this.scrollbackLimit = Math.max(2000, scrollback);
    this.onBell = onBell;
    /** Lines scrolled off the top of the main screen, oldest first. */
    this.scrollback = [];
    /** How many lines ever went to the scrollback, and how often it was emptied: what a view draws from. */
    this.scrolledOut = 0;
    this.scrollbackCleared = 0;
    this.bells = 0;
    this.reset();
  }

  /** Everything back to power-on (ESC c), but the scrollback stays. */
  reset() {
    this.main = this.blankLines(this.rows);
    this.lines = this.main;
    this.alternate = false;
    this.x = 0;
    this.y = 0;
    this.pendingWrap = false;
    this.attr = 0;
    this.scrollTop = 0;
    this.scrollBottom = this.rows - 1;
    this.autowrap = true;
    this.originMode = false;
    this.insertMode = false;
    this.cursorVisible = true;
    /** DECCKM: the arrows send ESC O A… instead of ESC [ A… (jobs/terminal-keys.js). */
    this.applicationCursor = false;
    /** xterm's mode 2004: a paste is sent between ESC [ 200 ~ and ESC [ 201 ~. */
    this.bracketedPaste = false;
    this.charsets = ['B', 'B'];
    this.shifted = 0;
    this.saved = {main: null, alternate: null};
    this.state = 'ground';
    this.sequence = '';
    this.stringLength = 0;
    this.version = (this.version || 0) + 1;
  }

  blankLines(count) {
    return Array.from({length: count}, () => new Line(this.cols));
  }

  /** The screen's rows as text, trailing blanks cut (what the tests compare). */
  text() {
    return this.lines.map((line) => line.text()).join('\n');
  }

  // ——— input ———

  /** Feeds the program's output: printable text, control characters and escape sequences. */
  write(text) {
    for (const char of text) {
      const code = char.codePointAt(0);
      switch (this.state) {
        case 'ground':
          if (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0)) this.print(char, code);
          else this.control(code);
          break;
        case 'escape':
          this.escape(char, code);
          break;
        case 'escape-intermediate':
          // ESC ( 0 and friends: designate a character set; ESC # 8, ESC % G: ignored.
          if (code < 0x20) this.control(code);
          else if (code >= 0x30 && code <= 0x7e) {
            if (this.sequence === '(') this.charsets[0] = char;
            else if (this.sequence === ')') this.charsets[1] = char;
            this.state = 'ground';
          } else if (code > 0x7e) this.state = 'ground';
          break;
        case 'csi':
          this.csiChar(char, code);
          break;
        case 'string':
          // OSC (title), DCS, SOS, PM, APC: skipped up to BEL (OSC's xterm end) or ST (ESC \).
          if (code === 0x07 && this.sequence === ']') this.state = 'ground';
          else if (code === 0x1b) this.state = 'string-escape';
          else if (code === 0x18 || code === 0x1a) this.state = 'ground';
          else this.stringLength = Math.min(MAX_STRING, this.stringLength + 1);
          break;
        case 'string-escape':
          // ESC \ ends the string; ESC and anything else starts a new sequence, as xterm does.
          this.state = 'ground';
          if (char !== '\\') this.escape(char, code);
          break;
        default:
          this.state = 'ground';
      }
    }
    this.version += 1;
  }

  control(code) {
    switch (code) {
      case 0x07: this.bells += 1; this.onBell?.(); break;
      case 0x08: this.moveTo(this.x - 1, this.y); break;
      case 0x09: this.tab(1); break;
      case 0x0a: case 0x0b: case 0x0c: this.index(); break;
      case 0x0d: this.moveTo(0, this.y); break;
      case 0x0e: this.shifted = 1; break;
      case 0x0f: this.shifted = 0; break;
      case 0x18: case 0x1a: this.state = 'ground'; break;
      case 0x1b: this.state = 'escape'; this.sequence = ''; break;
      default: break;
    }
  }

  escape(char, code) {
    this.state = 'ground';
    if (code < 0x20) {
      this.control(code);
      return;
    }
    switch (char) {
      case '[': this.state = 'csi'; this.sequence = ''; break;
      case ']': case 'P': case 'X': case '^': case '_':
        this.state = 'string';
        this.sequence = char;
        this.stringLength = 0;
        break;
      case '7': this.saveCursor(); break;
      case '8': this.restoreCursor(); break;
      case 'D': this.index(); break;
      case 'E': this.moveTo(0, this.y); this.index(); break;
      case 'M': this.reverseIndex(); break;
      case 'c': this.reset(); break;
      default:
        if (code >= 0x20 && code <= 0x2f) {
          this.state = 'escape-intermediate';
          this.sequence = char;
        }
        // ESC = / ESC > (keypad), ESC H (tab stop) and unknown finals: nothing to draw.
    }
  }

  csiChar(char, code) {
    if (code >= 0x40 && code <= 0x7e) {
      this.state = 'ground';
      this.csi(char);
    } else if (code >= 0x20 && code <= 0x3f) {
      if (this.sequence.length < 128) this.sequence += char;
    } else if (code === 0x1b) {
      this.control(code);
    } else if (code < 0x20) {
      // Control characters inside a sequence act at once, as on a VT100 (CAN and SUB cancel it).
      this.control(code);
    } else {
      this.state = 'ground';
    }
  }

  // ——— CSI sequences ———

  csi(final) {
    const match = this.sequence.match(/^([<=>?]?)([0-9;:]*)([ -/]*)$/);
    if (!match) return;
    const [, marker, numbers, intermediates] = match;
    if (intermediates) return;
    const params = numbers === '' ? [] : numbers.split(/[;:]/).slice(0, MAX_PARAMS)
      .map((text) => Math.min(Number(text) || 0, 65535));
    /** A count or position: missing and 0 both mean 1. */
    const n = (index = 0) => params[index] || 1;
    if (marker === '?') {
      if (final === 'h' || final === 'l') this.privateModes(params, final === 'h');
      return;
    }
    if (marker) return;
    switch (final) {
      case 'A': this.moveTo(this.x, Math.max(this.y - n(), this.y >= this.scrollTop ? this.scrollTop : 0)); break;
      case 'B': case 'e':
        this.moveTo(this.x, Math.min(this.y + n(), this.y <= this.scrollBottom ? this.scrollBottom : this.rows - 1));
        break;
      case 'C': case 'a': this.moveTo(this.x + n(), this.y); break;
      case 'D': this.moveTo(Math.min(this.x, this.cols - 1) - n(), this.y); break;
      case 'E': this.moveTo(0, Math.min(this.y + n(), this.scrollBottom)); break;
      case 'F': this.moveTo(0, Math.max(this.y - n(), this.scrollTop)); break;
      case 'G': case '`': this.moveTo(n() - 1, this.y); break;
      case 'H': case 'f': this.cursorPosition(n(0) - 1, n(1) - 1); break;
      case 'd': this.cursorPosition(n() - 1, this.x); break;
      case 'I': this.tab(n()); break;
      case 'Z': this.tab(-n()); break;
      case 'J': this.eraseInDisplay(params[0] || 0); break;
      case 'K': this.eraseInLine(params[0] || 0); break;
      case '@': this.insertChars(n()); break;
      case 'P': this.deleteChars(n()); break;
      case 'X': this.line().clear(this.x, this.x + n()); this.pendingWrap = false; break;
      case 'L': this.insertLines(n()); break;
      case 'M': this.deleteLines(n()); break;
      case 'S': this.scrollUp(n(), this.scrollTop, this.scrollBottom, false); break;
      case 'T': this.scrollDown(n(), this.scrollTop, this.scrollBottom); break;
      case 'm': this.sgr(params); break;
      case 'r': this.setScrollRegion(n(0) - 1, (params[1] || this.rows) - 1); break;
      case 's': this.saveCursor(); break;
      case 'u': this.restoreCursor(); break;
      case 'h': case 'l':
        if (params.includes(4)) this.insertMode = final === 'h';
        break;
      default:
        // DSR, DA (see the top: never answered), tab clears, window operations: ignored.
        break;
    }
  }

  privateModes(params, on) {
    for (const mode of params) {
      switch (mode) {
        case 1: this.applicationCursor = on; break;
        case 6: this.originMode = on; this.cursorPosition(0, 0); break;
        case 7: this.autowrap = on; break;
        case 25: this.cursorVisible = on; break;
        case 47: case 1047: this.useAlternate(on); break;
        case 1049:
          if (on && !this.alternate) {
            this.saveCursor();
            this.useAlternate(true);
          } else if (!on && this.alternate) {
            this.useAlternate(false);
            this.restoreCursor();
          }
          break;
        case 2004: this.bracketedPaste = on; break;
        default: break;
      }
    }
  }

  /** The alternate screen (full-screen programs): fresh each time, with no scrollback. */
  useAlternate(on) {
    if (on === this.alternate) return;
    this.alternate = on;
    this.lines = on ? this.blankLines(this.rows) : this.main;
    this.pendingWrap = false;
    this.version += 1;
  }

  sgr(params) {
    if (params.length === 0) params = [0];
    for (let index = 0; index < params.length; index += 1) {
      const code = params[index];
      if (code === 0) this.attr = 0;
      else if (code === 1) this.attr |= ATTR.BOLD;
      else if (code === 4) this.attr |= ATTR.UNDERLINE;
      else if (code === 7) this.attr |= ATTR.INVERSE;
      else if (code === 22) this.attr &= ~ATTR.BOLD;
      else if (code === 24) this.attr &= ~ATTR.UNDERLINE;
      else if (code === 27) this.attr &= ~ATTR.INVERSE;
      else if (code >= 30 && code <= 37) this.setColor(false, code - 30);
      else if (code === 39) this.setColor(false, -1);
      else if (code >= 40 && code <= 47) this.setColor(true, code - 40);
      else if (code === 49) this.setColor(true, -1);
      else if (code >= 90 && code <= 97) this.setColor(false, code - 90 + 8);
      else if (code >= 100 && code <= 107) this.setColor(true, code - 100 + 8);
      else if (code === 38 || code === 48) {
        // 38;5;n (256 colours) and 38;2;r;g;b (true colour), shown as the nearest of 16.
        if (params[index + 1] === 5) {
          this.setColor(code === 48, color256(params[index + 2] || 0));
          index += 2;
        } else if (params[index + 1] === 2) {
          const [red = 0, green = 0, blue = 0] = params.slice(index + 2, index + 5);
          this.setColor(code === 48, nearestColor(red, green, blue));
          index += 4;
        }
      }
      // Dim, italic, blink, hidden, strike-through: drawn plain.
    }
  }

  setColor(background, color) {
    const value = color + 1;
    this.attr = background ? (this.attr & ~ATTR.BG) | (value << ATTR.BG_SHIFT) : (this.attr & ~ATTR.FG) | value;
  }

  // ——— drawing ———

  line() {
    return this.lines[this.y];
  }

  print(char, code) {
    if (isZeroWidth(code)) {
      // Joins the character before it (on the same row; a mark at a row's start is dropped).
      const column = this.pendingWrap ? this.x : this.x - 1;
      if (column >= 0) {
        const line = this.line();
        const at = line.chars[column] === '' && column > 0 ? column - 1 : column;
        line.chars[at] += char;
        line.version += 1;
      }
      return;
    }
    if (this.charsets[this.shifted] === '0' && DEC_GRAPHICS[char]) char = DEC_GRAPHICS[char];
    const width = isWide(code) && this.cols > 1 ? 2 : 1;
    if (this.pendingWrap && this.autowrap) {
      this.moveTo(0, this.y);
      this.index();
    }
    this.pendingWrap = false;
    if (width === 2 && this.x === this.cols - 1) {
      if (!this.autowrap) return;
      this.line().clear(this.x, this.cols);
      this.moveTo(0, this.y);
      this.index();
    }
    if (this.insertMode) this.insertChars(width);
    const line = this.line();
    // Half of a wide character overwritten: its other half becomes a blank.
    if (line.chars[this.x] === '' && this.x > 0) line.chars[this.x - 1] = ' ';
    if (line.chars[this.x + width] === '') line.chars[this.x + width] = ' ';
    line.chars[this.x] = char;
    line.attrs[this.x] = this.attr;
    if (width === 2) {
      line.chars[this.x + 1] = '';
      line.attrs[this.x + 1] = this.attr;
    }
    line.version += 1;
    if (this.x + width >= this.cols) {
      this.x = this.cols - 1;
      this.pendingWrap = this.autowrap;
    } else {
      this.x += width;
    }
  }

  moveTo(x, y) {
    this.x = Math.max(0, Math.min(this.cols - 1, x));
    this.y = Math.max(0, Math.min(this.rows - 1, y));
    this.pendingWrap = false;
  }

  /** CUP: row and column from 0, inside the scroll region in origin mode. */
  cursorPosition(row, column) {
    if (this.originMode) this.moveTo(column, Math.min(this.scrollTop + row, this.scrollBottom));
    else this.moveTo(column, row);
  }

  tab(count) {
    let x = this.x;
    for (let step = 0; step < Math.abs(count); step += 1) {
      x = count > 0 ? (Math.floor(x / TAB_WIDTH) + 1) * TAB_WIDTH : (Math.ceil(x / TAB_WIDTH) - 1) * TAB_WIDTH;
    }
    this.moveTo(x, this.y);
  }

  /** LF: down a row, scrolling the region at its bottom. */
  index() {
    if (this.y === this.scrollBottom) this.scrollUp(1, this.scrollTop, this.scrollBottom, true);
    else if (this.y < this.rows - 1) this.y += 1;
  }

  reverseIndex() {
    if (this.y === this.scrollTop) this.scrollDown(1, this.scrollTop, this.scrollBottom);
    else if (this.y > 0) this.y -= 1;
  }

  /** Rows top…bottom move up by `count`; what leaves the main screen's top goes to the scrollback. */
  scrollUp(count, top, bottom, keep) {
    for (let step = 0; step < Math.min(count, bottom - top + 1); step += 1) {
      const [gone] = this.lines.splice(top, 1);
      this.lines.splice(bottom, 0, new Line(this.cols));
      if (keep && top === 0 && !this.alternate) this.keepLine(gone);
    }
  }

  scrollDown(count, top, bottom) {
    for (let step = 0; step < Math.min(count, bottom - top + 1); step += 1) {
      this.lines.splice(bottom, 1);
      this.lines.splice(top, 0, new Line(this.cols));
    }
  }

  keepLine(line) {
    this.scrollback.push(line);
    this.scrolledOut += 1;
    if (this.scrollback.length > this.scrollbackLimit) this.scrollback.shift();
  }

  setScrollRegion(top, bottom) {
    bottom = Math.min(bottom, this.rows - 1);
    if (top >= bottom) return;
    this.scrollTop = top;
    this.scrollBottom = bottom;
    this.cursorPosition(0, 0);
  }

  eraseInLine(mode) {
    const line = this.line();
    if (mode === 0) line.clear(this.x, this.cols);
    else if (mode === 1) line.clear(0, this.x + 1);
    else if (mode === 2) line.clear(0, this.cols);
    this.pendingWrap = false;
  }

  eraseInDisplay(mode) {
    if (mode === 3) {
      this.scrollback = [];
      this.scrollbackCleared += 1;
      return;
    }
    const [from, to] = mode === 0 ? [this.y + 1, this.rows] : mode === 1 ? [0, this.y] : [0, this.rows];
    for (let row = from; row < to; row += 1) this.lines[row].clear(0, this.cols);
    if (mode !== 2) this.eraseInLine(mode);
    this.pendingWrap = false;
  }

  insertChars(count) {
    const line = this.line();
    const blanks = Math.min(count, this.cols - this.x);
    line.chars.splice(this.x, 0, ...new Array(blanks).fill(' '));
    line.attrs.splice(this.x, 0, ...new Array(blanks).fill(0));
    line.chars.length = this.cols;
    line.attrs.length = this.cols;
    line.version += 1;
    this.pendingWrap = false;
  }

  deleteChars(count) {
    const line = this.line();
    const gone = Math.min(count, this.cols - this.x);
    line.chars.splice(this.x, gone);
    line.attrs.splice(this.x, gone);
    line.chars.push(...new Array(gone).fill(' '));
    line.attrs.push(...new Array(gone).fill(0));
    line.version += 1;
    this.pendingWrap = false;
  }

  insertLines(count) {
    if (this.y < this.scrollTop || this.y > this.scrollBottom) return;
    this.scrollDown(count, this.y, this.scrollBottom);
    this.moveTo(0, this.y);
  }

  deleteLines(count) {
    if (this.y < this.scrollTop || this.y > this.scrollBottom) return;
    this.scrollUp(count, this.y, this.scrollBottom, false);
    this.moveTo(0, this.y);
  }

  saveCursor() {
    this.saved[this.alternate ? 'alternate' : 'main'] = {
      x: this.x, y: this.y, attr: this.attr, originMode: this.originMode, charsets: [...this.charsets],
      shifted: this.shifted,
    };
  }

  restoreCursor() {
    const saved = this.saved[this.alternate ? 'alternate' : 'main'];
    if (!saved) {
      this.moveTo(0, 0);
      return;
    }
    this.attr = saved.attr;
    this.originMode = saved.originMode;
    this.charsets = [...saved.charsets];
    this.shifted = saved.shifted;
    this.moveTo(saved.x, saved.y);
  }

  // ——— size ———

  /**
   * A new size (the browser's box changed). Columns are cut or padded, not reflowed; when rows
   * go, the ones above the cursor go to the scrollback first, so the cursor's row stays in view.
   */
  resize(rows, cols) {
    rows = Math.max(1, Math.floor(rows));
    cols = Math.max(2, Math.floor(cols));
    if (rows === this.rows && cols === this.cols) return;
    const fit = (lines, cursorRow, keep) => {
      for (const line of lines) line.resize(cols);
      let moved = 0;
      if (lines.length > rows) {
        moved = Math.min(lines.length - rows, Math.max(0, cursorRow - (rows - 1)));
        for (const line of lines.splice(0, moved)) if (keep) this.keepLine(line);
        lines.length = rows;
      }
      while (lines.length < rows) lines.push(new Line(cols));
      return moved;
    };
    this.cols = cols;
    const mainCursor = this.alternate ? this.saved.main?.y ?? this.rows - 1 : this.y;
    const movedMain = fit(this.main, mainCursor, true);
    if (this.alternate) fit(this.lines, this.y, false);
    if (!this.alternate) this.y -= movedMain;
    else if (this.saved.main) this.saved.main.y -= movedMain;
    this.rows = rows;
    this.scrollTop = 0;
    this.scrollBottom = rows - 1;
    this.moveTo(this.x, this.y);
    this.version += 1;
  }
}
