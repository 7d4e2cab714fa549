// Personal API tokens: create (the secret shown once), list, revoke. The secret lives only in
// the box drawn from the create answer: the API never returns it again, and neither does this page.
import {api} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';
import {checkFields, clearErrors, field, formError, showError} from '../forms.js';
import {copyButton} from './copy.js';

function secretBox(created, onDone) {
  const secret = h('code', {id: 'token-secret', class: 'account-secret-text'}, created.token);
  const box = h('div', {id: 'token-secret-box', class: 'account-secret', role: 'status'},
    h('p', {}, h('strong', {}, `Token “${created.apiToken.name}” created. `),
      'Copy it now: this is the only time it is shown.'),
    secret,
    h('div', {class: 'row'}, copyButton(secret, 'token-secret-copy'),
      h('button', {type: 'button', class: 'link', id: 'token-secret-done', onclick: () => {
        box.remove();
        onDone();
      }}, 'Done, hide it')));
  return box;
}

export async function tokensPanel() {
  const panel = h('section', {id: 'tokens', class: 'card account-tokens'});
  const list = h('div', {id: 'token-list'});
  const message = h('div', {id: 'tokens-error'});
  const secretSlot = h('div', {});
  const name = h('input', {id: 'token-name', required: true, maxlength: 100, placeholder: 'e.g. CI on beamline'});
  const days = h('input', {id: 'token-days', type: 'number', min: 1, max: 3650, step: 1, placeholder: 'never'});

  async function load() {
    const answer = await api('GET', '/users/v1/tokens');
    if (answer.items.length === 0) return fill(list, h('p', {class: 'muted'}, 'No API tokens.'));
    fill(list, h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'tokens-table'},
      h('thead', {}, h('tr', {}, ['Name', 'Starts with', 'Created', 'Last used', 'Expires', '']
        .map((title) => h('th', {}, title)))),
      h('tbody', {}, answer.items.map((token) => h('tr', {dataset: {tokenId: token.id}},
        h('td', {class: 'token-name'}, token.name),
        h('td', {class: 'mono'}, `${token.prefix}…`),
        h('td', {}, formatTime(token.createdAt)),
        h('td', {}, token.lastUsedAt ? formatTime(token.lastUsedAt) : h('span', {class: 'muted'}, 'never')),
        h('td', {}, token.expiresAt ? formatTime(token.expiresAt) : h('span', {class: 'muted'}, 'never')),
        h('td', {}, h('button', {type: 'button', class: 'trash token-revoke', onclick: async () => {
          fill(message);
          try {
            await api('DELETE', `/users/v1/tokens/${token.id}`);
            await load();
          } catch (error) { fill(message, errorBox(error)); }
        }}, 'Revoke'))))))));
  }

  const form = h('form', {id: 'token-form', class: 'account-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkFields(form)) return;
    const body = {name: name.value};
    if (days.value) body.expiresInDays = Number(days.value);
    try {
      const created = await api('POST', '/users/v1/tokens', body);
      form.reset();
      fill(secretSlot, secretBox(created, () => name.focus()));
      await load();
    } catch (error) { showError(form, error); }
  }},
  h('div', {class: 'account-fields'},
    field('Name', name, 'name'),
    field('Expires after (days)', days, 'expiresInDays', 'empty: never; 1–3650')),
  formError(),
  h('button', {type: 'submit', id: 'token-create'}, 'Create token'));

  fill(panel, h('h2', {}, 'Personal API tokens'),
    h('p', {class: 'muted'}, 'For scripts and CI: send it as ',
      h('code', {}, 'Authorization: Bearer mlx_…'), '. It acts as you; revoke it when it is no longer needed.'),
    form, secretSlot, message, list);
  await load();
  return panel;
}
