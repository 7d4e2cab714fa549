// A model version's lineage as links: the run (/runs/<id>), the job (/jobs/<id>), the dataset
// versions (each on its dataset's page, /datasets/<datasetId>, looked up from data), the code
// commit, the image and the package it was ingested from.
import {api, q} from '../api.js';
import {h} from '../dom.js';

/** The dataset a version belongs to (its page is the dataset's); null when data will not say. */
async function datasetOf(versionId) {
  try {
    const version = await api('GET', `/data/v1/dataset-versions/${q(versionId)}`);
    const dataset = await api('GET', `/data/v1/datasets/${q(version.datasetId)}`).catch(() => null);
    return {id: version.datasetId, name: dataset?.name, number: version.number};
  } catch (error) {
    return null;
  }
}

function item(id, label, ...content) {
  return h('li', {id}, h('span', {class: 'lineage-label'}, label), ' ', content);
}

export async function lineagePanel(model, version) {
  let lineage;
  try {
    lineage = await api('GET', `/mlhub/v1/models/${q(model.id)}/versions/${version.number}/lineage`);
  } catch (error) {
    return h('p', {class: 'error', id: 'version-lineage'}, error.message);
  }
  const datasetIds = lineage.datasetVersions || [];
  const datasets = await Promise.all(datasetIds.map(datasetOf));
  const run = lineage.run;
  const job = lineage.job;
  const ingestion = version.source?.ingestionId;
  const items = [
    run ? item('lineage-run', 'Run', h('a', {href: `/runs/${q(run.id)}`, class: 'mono'}, run.name || run.id),
      run.status ? [' ', h('span', {class: `status ${run.status}`}, run.status)] : null) : null,
    job ? item('lineage-job', 'Job', h('a', {href: `/jobs/${q(job.id)}`, class: 'mono'}, job.name || job.id),
      job.state ? [' ', h('span', {class: `status ${job.state}`, dataset: {state: job.state}}, job.state)] : null)
      : null,
    ...datasetIds.map((id, index) => {
      const dataset = datasets[index];
      return h('li', {class: 'lineage-dataset', dataset: {datasetVersionId: id}},
        h('span', {class: 'lineage-label'}, 'Dataset version'), ' ',
        dataset ? h('a', {href: `/datasets/${q(dataset.id)}`},
          dataset.name ? `${dataset.name} v${dataset.number ?? ''}` : id) : h('span', {class: 'mono'}, id));
    }),
    lineage.codeCommit ? item('lineage-commit', 'Code commit', h('code', {}, lineage.codeCommit)) : null,
    lineage.image ? item('lineage-image', 'Image', h('code', {}, lineage.image)) : null,
    ingestion ? item('lineage-ingestion', 'Ingested package',
      h('a', {href: `/ingest?projectId=${q(model.projectId)}`, class: 'mono'}, ingestion)) : null,
  ].filter(Boolean);
  return h('ul', {id: 'version-lineage', class: 'hub-lineage'},
    items.length ? items : h('li', {class: 'muted'}, 'No lineage recorded.'));
}
