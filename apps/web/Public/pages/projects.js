// The caller's projects: create, open, trash and restore.
import {api} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';

export async function projectsPage(main) {
  const view = new URLSearchParams(location.search).get('view') === 'trashed' ? 'trashed' : 'active';
  const list = h('div', {id: 'projects'});
  const message = h('div', {id: 'projects-error'});
  const name = h('input', {id: 'new-project-name', name: 'name', placeholder: 'new project name', required: true});
  const description = h('input', {id: 'new-project-description', name: 'description', placeholder: 'description'});

  async function load() {
    const answer = await api('GET', `/data/v1/projects?view=${view}`);
    if (answer.items.length === 0) {
      return fill(list, h('p', {class: 'muted'}, view === 'trashed' ? 'The trash is empty.' : 'No projects yet.'));
    }
    fill(list, h('table', {class: 'grid'},
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Description'), h('th', {}, 'Created'),
        h('th', {}, ''))),
      h('tbody', {}, answer.items.map((project) => h('tr', {dataset: {id: project.id}},
        h('td', {}, view === 'active'
          ? h('a', {href: `/projects/${project.id}`, class: 'project-link'}, project.name) : project.name),
        h('td', {}, project.description || ''),
        h('td', {}, formatTime(project.createdAt)),
        h('td', {}, h('button', {type: 'button', class: view === 'active' ? 'trash' : 'restore', onclick: async () => {
          try {
            if (view === 'active') await api('DELETE', `/data/v1/projects/${project.id}`);
            else await api('POST', `/data/v1/projects/${project.id}/restore`);
            await load();
          } catch (error) { fill(message, errorBox(error)); }
        }}, view === 'active' ? 'Trash' : 'Restore')))))));
  }

  fill(main,
    h('h1', {}, view === 'trashed' ? 'Trashed projects' : 'Projects'),
    h('p', {}, view === 'trashed'
      ? h('a', {href: '/projects'}, '← Active projects')
      : h('a', {href: '/projects?view=trashed', id: 'trash-view'}, 'Trash')),
    view === 'active' ? h('form', {class: 'row', id: 'new-project', onsubmit: async (event) => {
      event.preventDefault();
      fill(message);
      try {
        const created = await api('POST', '/data/v1/projects', {name: name.value, description: description.value});
        location.assign(`/projects/${created.id}`);
      } catch (error) { fill(message, errorBox(error)); }
    }}, name, description, h('button', {type: 'submit', id: 'create-project'}, 'Create project')) : null,
    message, list);
  await load();
}
