// One project: its runs table, experiments, members and a way to its datasets.
import {api} from '../api.js';
import {errorBox, fill, h} from '../dom.js';
import {membersPanel} from './members.js';
import {runsTable} from './runs-table.js';
import {tagPanel} from '../tags.js';

export async function projectPage(main, {params: [projectId]}) {
  const project = await api('GET', `/data/v1/projects/${projectId}`);
  const experiments = (await api('GET', `/data/v1/projects/${projectId}/experiments`)).items;
  const message = h('div', {});
  const experimentName = h('input', {id: 'new-experiment-name', placeholder: 'new experiment name', required: true});
  fill(main,
    h('p', {class: 'crumbs'}, h('a', {href: '/projects'}, 'Projects'), ' / '),
    h('h1', {id: 'project-name'}, project.name),
    project.description ? h('p', {}, project.description) : null,
    h('p', {class: 'row'}, h('a', {href: `/projects/${projectId}/datasets`, id: 'datasets-link'}, 'Datasets'),
      h('a', {href: `/projects/${projectId}/tags`, id: 'tags-link'}, 'Labels')),
    await runsTable(projectId, experiments),
    h('section', {class: 'card', id: 'experiments'}, h('h2', {}, 'Experiments'),
      h('ul', {}, experiments.map((e) => h('li', {},
        h('a', {href: `/projects/${projectId}?experiment=${e.id}`}, e.name)))),
      h('form', {class: 'row', onsubmit: async (event) => {
        event.preventDefault();
        try {
          await api('POST', `/data/v1/projects/${projectId}/experiments`, {name: experimentName.value});
          location.reload();
        } catch (error) { fill(message, errorBox(error)); }
      }}, experimentName, h('button', {type: 'submit'}, 'Create experiment')), message),
    await membersPanel(projectId),
    tagPanel('project', projectId, projectId));
  // The table's first rows are on the page now: `make bench` times first page from navigation to this mark.
  performance.mark('runs-table-rendered');
}
