// Every account, for administrators: disable/enable and the role (PATCH /v1/users/{id} takes
// `disabled` and/or `role`). The API lists accounts oldest first in pages and has no search, so
// the filter box narrows the accounts loaded so far; "More accounts" loads the next page and
// "Load all" the rest.
import {api} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';

const roles = ['user', 'admin'];

function userRow(user, me) {
  const message = h('div', {class: 'admin-row-error'});
  const row = h('tr', {});

  function draw(current) {
    row.dataset.userId = current.id;
    row.dataset.role = current.role;
    row.dataset.disabled = String(current.disabled);
    row.dataset.search = `${current.email} ${current.displayName || ''}`.toLowerCase();
    row.classList.toggle('admin-disabled', current.disabled);
    const self = current.id === me.id;
    async function change(body) {
      fill(message);
      try {
        draw(await api('PATCH', `/users/v1/users/${current.id}`, body));
      } catch (error) {
        fill(message, errorBox(error));
        draw(current);
      }
    }
    const role = h('select', {class: 'admin-role', 'aria-label': `role of ${current.email}`, disabled: self,
      onchange: () => change({role: role.value})},
    roles.map((name) => h('option', {value: name, selected: name === current.role}, name)));
    fill(row,
      h('td', {class: 'admin-email'}, current.email, self ? h('span', {class: 'muted'}, ' (you)') : null),
      h('td', {}, current.displayName || ''),
      h('td', {class: 'mono'}, current.id),
      h('td', {}, role),
      h('td', {class: 'admin-state'}, current.disabled ? 'disabled' : 'active'),
      h('td', {}, formatTime(current.createdAt)),
      h('td', {}, self ? h('span', {class: 'muted'}, 'your own account')
        : h('button', {type: 'button', class: current.disabled ? 'admin-enable' : 'trash admin-disable',
          onclick: () => change({disabled: !current.disabled})}, current.disabled ? 'Enable' : 'Disable'),
      message));
  }
  draw(user);
  return row;
}

export async function usersPanel(me) {
  const panel = h('section', {id: 'admin-users', class: 'card admin-users'});
  const body = h('tbody', {});
  const more = h('div', {});
  const message = h('div', {id: 'admin-users-error'});
  const count = h('span', {class: 'muted', id: 'admin-user-count'});
  const filter = h('input', {id: 'admin-user-filter', type: 'search', placeholder: 'filter by email or name',
    'aria-label': 'filter accounts by email or name', oninput: applyFilter});

  function applyFilter() {
    const text = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const row of body.rows) {
      const match = !text || row.dataset.search.includes(text);
      row.hidden = !match;
      if (match) shown += 1;
    }
    fill(count, text ? `${shown} of ${body.rows.length} loaded accounts` : `${body.rows.length} accounts loaded`);
  }

  /** The page after `after`; with `all`, every page after it (the filter then sees everyone). */
  async function load(after, all = false) {
    fill(message);
    try {
      let next = after;
      do {
        const answer = await api('GET', `/users/v1/users?limit=${all ? 500 : 100}${next ? `&after=${next}` : ''}`);
        body.append(...answer.items.map((user) => userRow(user, me)));
        next = answer.nextAfter || null;
      } while (all && next);
      fill(more, next ? h('div', {class: 'row'},
        h('button', {type: 'button', id: 'admin-users-more', onclick: () => load(next)}, 'More accounts'),
        h('button', {type: 'button', class: 'link', id: 'admin-users-all', onclick: () => load(next, true)},
          'Load all')) : null);
      applyFilter();
    } catch (error) { fill(message, errorBox(error)); }
  }

  fill(panel, h('h2', {}, 'Accounts'),
    h('div', {class: 'row'}, filter, count),
    h('p', {class: 'muted'}, 'A disabled account cannot sign in, and its tokens stop working at once. ' +
      'Changing a role makes the person\'s current access token refresh.'),
    message,
    h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'admin-users-table'},
      h('thead', {}, h('tr', {}, ['Email', 'Name', 'Id', 'Role', 'State', 'Created', '']
        .map((title) => h('th', {}, title)))),
      body)),
    more);
  await load(null);
  return panel;
}
