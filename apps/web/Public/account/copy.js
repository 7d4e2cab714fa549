// A Copy button for a value shown on the page (a user id, a token's secret). The clipboard API
// may be missing or refused (no permission, page not focused, a headless browser): then the text
// is selected so that Ctrl+C / long-press copies it, and the button says so.
import {fill, h} from '../dom.js';

function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

/** A button copying the text of `source` (an element), with a status beside it. */
export function copyButton(source, id, label = 'Copy') {
  const status = h('span', {class: 'account-copy-status muted', role: 'status'});
  const button = h('button', {type: 'button', class: 'account-copy', id, onclick: async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(source.textContent);
      fill(status, 'Copied');
    } catch {
      selectText(source);
      fill(status, 'Selected: press Ctrl+C to copy');
    }
  }}, label);
  return h('span', {class: 'account-copy-group'}, button, status);
}
