// The signed-in person's account: who they are (the id is what projects and teams grant roles
// to), personal API tokens, teams, and links to the members of their projects.
import {api} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';
import {copyButton} from '../account/copy.js';
import {teamsPanel} from '../account/teams.js';
import {tokensPanel} from '../account/tokens.js';

function profileCard(me) {
  const id = h('code', {id: 'account-id'}, me.id);
  return h('section', {class: 'card account-profile', id: 'profile'},
    h('dl', {class: 'facts'},
      h('dt', {}, 'Email'), h('dd', {id: 'account-email'}, me.email),
      h('dt', {}, 'Display name'), h('dd', {id: 'account-name'}, me.displayName || ''),
      h('dt', {}, 'Role'), h('dd', {id: 'account-role'}, me.role),
      h('dt', {}, 'User id'), h('dd', {class: 'account-id-row'}, id, ' ', copyButton(id, 'account-id-copy')),
      h('dt', {}, 'Since'), h('dd', {}, formatTime(me.createdAt))),
    h('p', {class: 'muted'}, 'Give your user id to a project owner or a team maintainer to be added.'));
}

/** My projects, each linking to its members panel on the project page. */
async function projectsCard() {
  const card = h('section', {class: 'card account-projects', id: 'account-projects'}, h('h2', {}, 'My projects'));
  try {
    const answer = await api('GET', '/data/v1/projects?limit=100');
    if (answer.items.length === 0) {
      card.append(h('p', {class: 'muted'}, 'No projects yet. ', h('a', {href: '/projects'}, 'Create one')));
      return card;
    }
    card.append(h('ul', {class: 'account-project-list'}, answer.items.map((project) => h('li', {dataset: {id: project.id}},
      h('a', {href: `/projects/${project.id}`}, project.name), ' · ',
      h('a', {href: `/projects/${project.id}#members`, class: 'account-members-link'}, 'members')))),
    answer.nextAfter ? h('p', {}, h('a', {href: '/projects'}, 'All projects…')) : null);
  } catch (error) {
    card.append(errorBox(error));
  }
  return card;
}

export async function accountPage(main, {me}) {
  const [tokens, teams, projects] = await Promise.all([tokensPanel(), teamsPanel(me), projectsCard()]);
  fill(main, h('h1', {}, 'Account'), profileCard(me), tokens, teams, projects);
}
