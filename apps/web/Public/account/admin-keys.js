// Signing key rotation. New access tokens get signed with a new key; the old key stays published
// while tokens it signed can live, so nobody is signed out. A confirm step guards the button.
import {api} from '../api.js';
import {errorBox, fill, h} from '../dom.js';

async function publishedKeys() {
  try {
    const jwks = await api('GET', '/users/.well-known/jwks.json');
    return (jwks.keys || []).map((key) => key.kid);
  } catch {
    return null;
  }
}

export async function keysPanel() {
  const panel = h('section', {id: 'admin-keys', class: 'card admin-keys'});
  const keys = h('p', {id: 'admin-published-keys'});
  const confirm = h('div', {id: 'rotate-key-confirm-box', class: 'admin-confirm', hidden: true});
  const result = h('div', {id: 'rotate-key-result', role: 'status'});
  const start = h('button', {type: 'button', id: 'rotate-key', onclick: () => {
    fill(result);
    confirm.hidden = false;
    start.disabled = true;
    confirm.scrollIntoView({block: 'nearest'});
  }}, 'Rotate signing key…');

  async function showKeys() {
    const kids = await publishedKeys();
    if (kids === null) return fill(keys);
    fill(keys, 'Published key ids (newest signs): ',
      kids.map((kid, index) => [index ? ', ' : '', h('code', {class: 'admin-kid'}, kid)]));
  }

  function close() {
    confirm.hidden = true;
    start.disabled = false;
  }

  fill(confirm,
    h('p', {}, 'Sign every new access token with a new key? Tokens already issued keep working until they ' +
      'expire; services fetch the new public key on its first use.'),
    h('div', {class: 'row'},
      h('button', {type: 'button', id: 'rotate-key-confirm', onclick: async (event) => {
        event.target.disabled = true;
        try {
          const answer = await api('POST', '/users/v1/keys/rotate');
          fill(result, h('p', {class: 'admin-rotated'}, 'New signing key: ', h('code', {id: 'rotated-kid'}, answer.kid)));
          await showKeys();
        } catch (error) {
          fill(result, errorBox(error));
        } finally {
          event.target.disabled = false;
          close();
        }
      }}, 'Yes, rotate'),
      h('button', {type: 'button', class: 'link', id: 'rotate-key-cancel', onclick: close}, 'Cancel')));

  fill(panel, h('h2', {}, 'Signing keys'), keys, start, confirm, result);
  await showKeys();
  return panel;
}
