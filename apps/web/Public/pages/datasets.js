// A project's datasets, and one dataset's versions with their files and the runs that used them.
import {api} from '../api.js';
import {fill, formatTime, h} from '../dom.js';
import {tagPanel} from '../tags.js';

export async function datasetsPage(main, {params: [projectId]}) {
  const answer = await api('GET', `/data/v1/projects/${projectId}/datasets`);
  fill(main,
    h('p', {class: 'crumbs'}, h('a', {href: `/projects/${projectId}`}, 'Project'), ' / '),
    h('h1', {}, 'Datasets'),
    answer.items.length === 0 ? h('p', {class: 'muted'}, 'No datasets.') :
      h('table', {class: 'grid', id: 'datasets'},
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Description'), h('th', {}, 'Created'))),
        h('tbody', {}, answer.items.map((dataset) => h('tr', {},
          h('td', {}, h('a', {href: `/datasets/${dataset.id}`}, dataset.name)),
          h('td', {}, dataset.description || ''), h('td', {}, formatTime(dataset.createdAt)))))));
}

async function versionDetails(version) {
  const [files, runs] = await Promise.all([
    api('GET', `/data/v1/dataset-versions/${version.id}/files?limit=1000`).catch(() => ({items: []})),
    api('GET', `/data/v1/dataset-versions/${version.id}/runs`).catch(() => ({items: []})),
  ]);
  return h('div', {},
    h('h4', {}, 'Files'),
    files.items.length ? h('ul', {}, files.items.map((file) => h('li', {},
      h('a', {href: `/api/data/v1/dataset-versions/${version.id}/files/${file.path.split('/').map(encodeURIComponent).join('/')}`,
        download: file.path.split('/').pop()}, file.path), ` ${file.size ?? ''} bytes`)))
      : h('p', {class: 'muted'}, 'No files.'),
    h('h4', {}, 'Runs that used it'),
    runs.items.length ? h('ul', {}, runs.items.map((item) => h('li', {},
      h('a', {href: `/runs/${item.runId || item.id}`}, item.runName || item.runId || item.id))))
      : h('p', {class: 'muted'}, 'None.'));
}

export async function datasetPage(main, {params: [datasetId]}) {
  const dataset = await api('GET', `/data/v1/datasets/${datasetId}`);
  const versions = (await api('GET', `/data/v1/datasets/${datasetId}/versions`)).items;
  const sections = await Promise.all(versions.map(async (version) => h('section', {class: 'card version'},
    h('h3', {}, `Version ${version.number ?? ''} · ${version.state || version.status || ''}`),
    h('p', {class: 'muted'}, formatTime(version.createdAt)),
    await versionDetails(version),
    tagPanel('datasetVersion', version.id, dataset.projectId, {secondary: true}))));
  fill(main,
    h('p', {class: 'crumbs'}, h('a', {href: `/projects/${dataset.projectId}/datasets`}, 'Datasets'), ' / '),
    h('h1', {}, dataset.name), dataset.description ? h('p', {}, dataset.description) : null,
    tagPanel('dataset', datasetId, dataset.projectId),
    versions.length ? sections : h('p', {class: 'muted'}, 'No versions.'));
}
