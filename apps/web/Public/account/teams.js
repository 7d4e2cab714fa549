// Teams: create one (its creator becomes its maintainer), list mine, and one team's members —
// maintainers add a member by user id and remove members; a member may leave. Projects grant
// roles to a team by its id on the project's members panel.
import {api} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';
import {checkFields, clearErrors, field, formError, showError} from '../forms.js';
import {copyButton} from './copy.js';

function memberRow(team, member, me, canManage, reload, message) {
  const self = member.userId === me.id;
  const remove = canManage || self
    ? h('button', {type: 'button', class: 'trash team-member-remove', onclick: async () => {
      fill(message);
      try {
        await api('DELETE', `/users/v1/teams/${team.id}/members/${member.userId}`);
        await reload();
      } catch (error) { fill(message, errorBox(error)); }
    }}, self ? 'Leave' : 'Remove')
    : null;
  return h('tr', {dataset: {userId: member.userId, role: member.role}},
    h('td', {class: 'mono'}, member.userId, self ? h('span', {class: 'muted'}, ' (you)') : null),
    h('td', {}, member.role),
    h('td', {}, formatTime(member.addedAt)),
    h('td', {}, remove));
}

/**
 * One team's members, with the add form when the caller maintains it (or is an admin).
 * `gone(text)` is called once the caller left or deleted the team: that makes the caller's
 * access token stale (its claims name the team): services refuse it until api.js's next call
 * refreshes the session, so the page updates itself without a call that would only be refused.
 */
async function teamDetail(slot, teamId, me, gone) {
  const answer = await api('GET', `/users/v1/teams/${teamId}`);
  const {team, members} = answer;
  const mine = members.find((member) => member.userId === me.id);
  const canManage = me.role === 'admin' || mine?.role === 'maintainer';
  const message = h('div', {id: 'team-members-error'});
  const reload = () => teamDetail(slot, teamId, me, gone);
  const userId = h('input', {id: 'team-member-id', required: true, placeholder: 'user id'});
  const role = h('select', {id: 'team-member-role'},
    h('option', {value: 'member'}, 'member'), h('option', {value: 'maintainer'}, 'maintainer'));
  const form = h('form', {id: 'team-member-form', class: 'account-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkFields(form)) return;
    try {
      await api('PUT', `/users/v1/teams/${team.id}/members/${encodeURIComponent(userId.value.trim())}`,
        {role: role.value});
      await reload();
    } catch (error) {
      // A malformed id is a 404 naming no field (the path's id): it is still the id typed here.
      if (error.status === 404 && !error.field) error.field = 'userId';
      showError(form, error);
    }
  }},
  h('div', {class: 'account-fields'}, field('Add a member (user id)', userId, 'userId', 'a member\'s id again changes their role'), field('Role', role, 'role')),
  formError(), h('button', {type: 'submit', id: 'team-member-add'}, 'Add member'));
  const teamIdCode = h('code', {id: 'team-id'}, team.id);
  const removal = canManage ? deleteControl(team, message, () => gone(`Team “${team.name}” deleted.`)) : null;
  fill(slot, h('div', {class: 'account-team', id: 'team-detail', dataset: {teamId: team.id}},
    h('h3', {}, team.name),
    team.description ? h('p', {}, team.description) : null,
    h('p', {class: 'muted'}, 'Team id ', teamIdCode, ' ', copyButton(teamIdCode, 'team-id-copy'),
      ' — grant it a role on a project from the project\'s members.'),
    h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'team-members'},
      h('thead', {}, h('tr', {}, ['User id', 'Role', 'Added', ''].map((title) => h('th', {}, title)))),
      h('tbody', {}, members.map((member) => memberRow(team, member, me, canManage, async () => {
        if (member.userId === me.id) gone(`You left “${team.name}”.`);
        else await reload();
      }, message))))),
    message,
    canManage ? form : h('p', {class: 'muted'}, 'Only the team\'s maintainers add and remove members.'),
    removal));
}

/** Delete the team, after a second click: its project roles go with it. */
function deleteControl(team, message, onDeleted) {
  const confirm = h('div', {class: 'account-confirm', id: 'team-delete-confirm-box', hidden: true},
    h('p', {}, `Delete “${team.name}”? Its members lose the project roles granted to the team.`),
    h('div', {class: 'row'},
      h('button', {type: 'button', class: 'trash', id: 'team-delete-confirm', onclick: async () => {
        fill(message);
        try {
          await api('DELETE', `/users/v1/teams/${team.id}`);
          await onDeleted();
        } catch (error) { fill(message, errorBox(error)); }
      }}, 'Yes, delete the team'),
      h('button', {type: 'button', class: 'link', id: 'team-delete-cancel', onclick: () => {
        confirm.hidden = true;
      }}, 'Cancel')));
  return h('div', {class: 'account-team-delete'},
    h('button', {type: 'button', class: 'trash', id: 'team-delete', onclick: () => {
      confirm.hidden = false;
    }}, 'Delete team…'),
    confirm);
}

export async function teamsPanel(me) {
  const panel = h('section', {id: 'teams', class: 'card account-teams'});
  const list = h('div', {id: 'team-list'});
  const detail = h('div', {});
  const message = h('div', {id: 'teams-error'});
  const name = h('input', {id: 'team-name', required: true, maxlength: 100, placeholder: 'e.g. saxs-group'});
  const description = h('input', {id: 'team-description', maxlength: 2000});
  let after = null;

  async function open(teamId) {
    fill(message);
    try {
      await teamDetail(detail, teamId, me, (text) => forget(teamId, text));
      detail.scrollIntoView({block: 'nearest'});
    } catch (error) { fill(message, errorBox(error)); }
  }

  function teamRow(team) {
    return h('tr', {dataset: {teamId: team.id}},
      h('td', {}, h('button', {type: 'button', class: 'link team-open', onclick: () => open(team.id)}, team.name)),
      h('td', {}, team.description || ''),
      h('td', {class: 'mono'}, team.id),
      h('td', {}, formatTime(team.createdAt)));
  }

  /** Takes a team the caller left or deleted off the page, saying what happened. */
  function forget(teamId, text) {
    fill(detail);
    list.querySelector(`tr[data-team-id="${CSS.escape(teamId)}"]`)?.remove();
    if (list.querySelector('tbody')?.rows.length === 0) fill(list, h('p', {class: 'muted'}, 'You are in no team.'));
    fill(message, h('p', {class: 'account-done', role: 'status', id: 'teams-status'}, text));
  }

  /** The first page again (`restart`), or the next one after the last shown. */
  async function load(restart) {
    if (restart) after = null;
    const answer = await api('GET', `/users/v1/teams?limit=100${after ? `&after=${after}` : ''}`);
    const rows = answer.items.map(teamRow);
    const more = answer.nextAfter
      ? h('button', {type: 'button', id: 'teams-more', onclick: () => load(false)}, 'More teams') : null;
    after = answer.nextAfter || null;
    const body = restart ? null : list.querySelector('tbody');
    if (body) {
      body.append(...rows);
      list.querySelector('#teams-more')?.remove();
      if (more) list.append(more);
      return;
    }
    if (rows.length === 0) return fill(list, h('p', {class: 'muted'}, 'You are in no team.'));
    fill(list, h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'teams-table'},
      h('thead', {}, h('tr', {}, ['Team', 'Description', 'Id', 'Created'].map((title) => h('th', {}, title)))),
      h('tbody', {}, rows))), more);
  }

  const form = h('form', {id: 'team-form', class: 'account-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkFields(form)) return;
    try {
      const created = await api('POST', '/users/v1/teams', {name: name.value, description: description.value});
      form.reset();
      await load(true);
      await open(created.id);
    } catch (error) { showError(form, error); }
  }},
  h('div', {class: 'account-fields'}, field('Team name', name, 'name'), field('Description', description, 'description')),
  formError(), h('button', {type: 'submit', id: 'team-create'}, 'Create team'));

  fill(panel, h('h2', {}, 'Teams'),
    h('p', {class: 'muted'}, me.role === 'admin' ? 'As an administrator you see every team.' : 'The teams you are in.'),
    form, message, list, detail);
  await load(true);
  return panel;
}
