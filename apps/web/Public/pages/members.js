// A project's members and their roles (owners manage them).
import {api} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';

const roles = ['viewer', 'editor', 'owner'];

export async function membersPanel(projectId) {
  const panel = h('section', {id: 'members', class: 'card'});
  const message = h('div', {});
  const list = h('div', {});
  const member = h('input', {id: 'member-id', placeholder: 'user id', required: true});
  const role = h('select', {id: 'member-role'}, roles.map((name) => h('option', {value: name}, name)));
  const kind = h('select', {id: 'member-kind'}, h('option', {value: 'user'}, 'user'), h('option', {value: 'team'}, 'team'));

  async function load() {
    const answer = await api('GET', `/data/v1/projects/${projectId}/members`);
    fill(list, h('table', {class: 'grid'},
      h('thead', {}, h('tr', {}, h('th', {}, 'Kind'), h('th', {}, 'Member'), h('th', {}, 'Role'),
        h('th', {}, 'Added'), h('th', {}, ''))),
      h('tbody', {}, answer.items.map((item) => h('tr', {},
        h('td', {}, item.memberKind), h('td', {class: 'mono'}, item.memberId), h('td', {}, item.role),
        h('td', {}, formatTime(item.addedAt)),
        h('td', {}, h('button', {type: 'button', onclick: async () => {
          try {
            await api('DELETE', `/data/v1/projects/${projectId}/members/${item.memberKind}/${item.memberId}`);
            await load();
          } catch (error) { fill(message, errorBox(error)); }
        }}, 'Remove')))))));
  }

  fill(panel, h('h2', {}, 'Members'), list,
    h('form', {class: 'row', onsubmit: async (event) => {
      event.preventDefault();
      fill(message);
      try {
        await api('PUT', `/data/v1/projects/${projectId}/members/${kind.value}/${member.value.trim()}`,
          {role: role.value});
        member.value = '';
        await load();
      } catch (error) { fill(message, errorBox(error)); }
    }}, kind, member, role, h('button', {type: 'submit', id: 'add-member'}, 'Grant role')),
    message);
  await load();
  return panel;
}
