// A terminal in the page: draws a TerminalScreen (jobs/terminal-screen.js) as rows of text in a
// monospace box sized to its element, and turns keys, pastes and phone typing into what a
// terminal sends (jobs/terminal-keys.js). Output is only ever text nodes: a program printing
// markup shows markup.
//
// Keys go to a transparent textarea over the cursor (it is what a phone's keyboard types into,
// and where an input method's window opens); keydown sends what it can at once, and whatever an
// input method or a phone's keyboard composes arrives as an `input` event and is sent then.
import {h} from '../dom.js';
import {ATTR, TerminalScreen} from './terminal-screen.js';
import {keySequence, pasteSequence} from './terminal-keys.js';

const MIN_ROWS = 5;
const MIN_COLS = 20;

/** The classes of a run of cells drawn with `attr` (colours in css/terminal.css). */
function attrClasses(attr) {
  let fg = attr & ATTR.FG;
  let bg = (attr & ATTR.BG) >> ATTR.BG_SHIFT;
  const classes = [];
  if (attr & ATTR.INVERSE) {
    // The default colours swap too: `fg`/`bg` name them.
    classes.push(bg ? `t-f${bg - 1}` : 't-fbg', fg ? `t-b${fg - 1}` : 't-bfg');
    fg = 0;
    bg = 0;
  }
  if (fg) classes.push(`t-f${(attr & ATTR.BOLD) && fg <= 8 ? fg + 7 : fg - 1}`);
  if (bg) classes.push(`t-b${bg - 1}`);
  if (attr & ATTR.BOLD) classes.push('t-bold');
  if (attr & ATTR.UNDERLINE) classes.push('t-ul');
  return classes.join(' ');
}

/** Draws `line` into `row`: runs of cells alike as text nodes or spans, the cursor's cell its own span. */
function drawLine(row, line, cursorColumn) {
  const parts = [];
  let column = 0;
  while (column < line.length) {
    if (column === cursorColumn) {
      const classes = attrClasses(line.attrs[column]);
      parts.push(h('span', {class: `term-cursor${classes ? ` ${classes}` : ''}`}, line.chars[column] || ' '));
      column += line.chars[column + 1] === '' ? 2 : 1;
      continue;
    }
    const attr = line.attrs[column];
    let end = column + 1;
    while (end < line.length && line.attrs[end] === attr && end !== cursorColumn) end += 1;
    const text = line.chars.slice(column, end).join('');
    const classes = attrClasses(attr);
    parts.push(classes ? h('span', {class: classes}, text) : document.createTextNode(text));
    column = end;
  }
  row.replaceChildren(...parts);
}

/**
 * terminalView({onInput(text), onResize(rows, cols)}) → {element, screen, write(text), reset(),
 * focus(), setEnabled(on), size()}. `element` goes into the page; it measures itself once there.
 */
export function terminalView({onInput = () => {}, onResize = () => {}} = {}) {
  const screen = new TerminalScreen(24, 80, {scrollback: 5000, onBell: () => flash()});
  const history = h('div', {class: 'terminal-history'});
  const rowsBox = h('div', {class: 'terminal-rows', id: 'terminal-screen'});
  const probe = h('span', {class: 'terminal-probe', 'aria-hidden': 'true'}, 'W'.repeat(20));
  const keys = h('textarea', {class: 'terminal-keys', id: 'terminal-keys', 'aria-label': 'Terminal input',
    autocapitalize: 'off', autocomplete: 'off', autocorrect: 'off', spellcheck: 'false', rows: 1});
  const scroller = h('div', {class: 'terminal-scroll'}, history, rowsBox);
  const element = h('div', {class: 'terminal', id: 'terminal', dataset: {rows: 0, cols: 0}}, scroller, probe);
  rowsBox.append(keys);
  let rowElements = [];
  let cell = {width: 8, height: 16};
  let enabled = true;
  let drawnOut = 0;
  let drawnClears = 0;
  let frame = 0;

  function flash() {
    element.classList.add('bell');
    setTimeout(() => element.classList.remove('bell'), 120);
  }

  function send(text) {
    if (!enabled || !text) return;
    onInput(text);
    scroller.scrollTop = scroller.scrollHeight;
  }

  // ——— drawing, once per animation frame however much output came ———

  function schedule() {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function draw() {
    frame = 0;
    const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - cell.height;
    if (drawnClears !== screen.scrollbackCleared) {
      history.replaceChildren();
      drawnClears = screen.scrollbackCleared;
      drawnOut = screen.scrolledOut;
    }
    const fresh = Math.min(screen.scrolledOut - drawnOut, screen.scrollback.length);
    for (const line of screen.scrollback.slice(screen.scrollback.length - fresh)) {
      const row = h('div', {class: 'term-line'});
      drawLine(row, line, -1);
      history.append(row);
    }
    drawnOut = screen.scrolledOut;
    while (history.childElementCount > screen.scrollback.length) history.firstElementChild.remove();
    history.hidden = screen.alternate;

    while (rowElements.length < screen.rows) {
      const row = h('div', {class: 'term-row'});
      rowElements.push(row);
      rowsBox.insertBefore(row, keys);
    }
    while (rowElements.length > screen.rows) rowElements.pop().remove();
    screen.lines.forEach((line, index) => {
      const row = rowElements[index];
      const cursor = screen.cursorVisible && index === screen.y ? screen.x : -1;
      if (row.line === line && row.version === line.version && row.cursor === cursor) return;
      drawLine(row, line, cursor);
      Object.assign(row, {line, version: line.version, cursor});
    });
    // The keys' box follows the cursor: a phone scrolls it into view, an input method opens there.
    keys.style.top = `${screen.y * cell.height}px`;
    keys.style.left = `${Math.min(screen.x, screen.cols - 2) * cell.width}px`;
    element.dataset.version = String(screen.version);
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  function write(text) {
    screen.write(text);
    schedule();
  }

  // ——— size ———

  /** Rows and columns that fit the scroller, from one character's measured box. */
  function measure() {
    const box = probe.getBoundingClientRect();
    if (box.width > 0) cell = {width: box.width / 20, height: box.height};
    const style = getComputedStyle(rowsBox);
    const width = scroller.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const height = scroller.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return {
      rows: Math.max(MIN_ROWS, Math.floor(height / cell.height)),
      cols: Math.max(MIN_COLS, Math.floor(width / cell.width)),
    };
  }

  function fit() {
    if (!element.isConnected || scroller.clientWidth === 0) return;
    const {rows, cols} = measure();
    if (rows === screen.rows && cols === screen.cols && element.dataset.rows !== '0') return;
    screen.resize(rows, cols);
    element.dataset.rows = String(rows);
    element.dataset.cols = String(cols);
    rowsBox.style.minHeight = `${rows * cell.height}px`;
    onResize(rows, cols);
    draw();
  }
  new ResizeObserver(() => fit()).observe(scroller);

  // ——— input ———

  element.addEventListener('keydown', (event) => {
    if (!enabled) return;
    const selection = window.getSelection();
    const copying = (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'c' && !selection.isCollapsed
      && element.contains(selection.anchorNode);
    if (event.shiftKey && (event.key === 'PageUp' || event.key === 'PageDown')) {
      scroller.scrollTop += (event.key === 'PageUp' ? -1 : 1) * (scroller.clientHeight - cell.height);
      event.preventDefault();
      return;
    }
    const sequence = copying ? null : keySequence(event, {applicationCursor: screen.applicationCursor});
    if (sequence === null) return;
    event.preventDefault();
    send(sequence);
  });
  // What keydown left to the browser (a phone's keyboard, an input method) lands in the textarea.
  keys.addEventListener('input', (event) => {
    if (event.isComposing) return;
    if (event.inputType === 'deleteContentBackward') send('\x7f');
    else if (event.inputType === 'insertLineBreak') send('\r');
    else if (event.data) send(event.data.replace(/\n/g, '\r'));
    keys.value = '';
  });
  keys.addEventListener('compositionend', (event) => {
    send(event.data || '');
    keys.value = '';
  });
  element.addEventListener('paste', (event) => {
    event.preventDefault();
    send(pasteSequence(event.clipboardData?.getData('text/plain') || '', {bracketed: screen.bracketedPaste}));
  });
  // A click (not the end of a selection to copy) puts the keys back in the terminal.
  element.addEventListener('click', () => {
    if (window.getSelection().isCollapsed) keys.focus({preventScroll: true});
  });
  keys.addEventListener('focus', () => element.classList.add('focused'));
  keys.addEventListener('blur', () => element.classList.remove('focused'));

  return {
    element,
    screen,
    write,
    /** Sends `text` as if typed (the phone bar's keys and line). */
    send,
    /** A fresh screen for a new connection, whose replay draws it again. */
    reset() {
      screen.reset();
      schedule();
    },
    focus() {
      keys.focus({preventScroll: true});
    },
    /** Off: typing sends nothing and the keys box is read-only (the session ended). */
    setEnabled(on) {
      enabled = on;
      keys.readOnly = !on;
      element.classList.toggle('ended', !on);
    },
    /** Measures again (after the element was placed or its box changed) and says the size. */
    fit() {
      fit();
      return {rows: screen.rows, cols: screen.cols};
    },
  };
}
