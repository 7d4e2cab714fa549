// One run: status, params, tags (editable), metrics as charts, log entries, lineage and files.
import {api, q, upload} from '../api.js';
import {errorBox, fill, formatDuration, formatTime, formatValue, h} from '../dom.js';
import {metricChart, startCharts} from '../chart.js';
import {tagPanel} from '../tags.js';
import {rankLabel} from '../jobs/log.js';

function keyValueTable(id, object) {
  const keys = Object.keys(object || {}).sort();
  if (keys.length === 0) return h('p', {class: 'muted', id}, 'None.');
  return h('table', {class: 'grid', id}, h('tbody', {}, keys.map((key) =>
    h('tr', {}, h('th', {}, key), h('td', {}, formatValue(object[key]))))));
}

function tagsEditor(run) {
  const box = h('div', {id: 'tags'});
  const message = h('div', {});
  const key = h('input', {id: 'tag-key', placeholder: 'key', required: true});
  const value = h('input', {id: 'tag-value', placeholder: 'value'});
  async function save(tags) {
    try {
      run = await api('PATCH', `/data/v1/runs/${run.id}/tags`, {tags});
      draw();
    } catch (error) { fill(message, errorBox(error)); }
  }
  function draw() {
    const keys = Object.keys(run.tags || {}).sort();
    fill(box, h('table', {class: 'grid'}, h('tbody', {}, keys.map((name) => h('tr', {},
      h('th', {}, name), h('td', {}, formatValue(run.tags[name])),
      h('td', {}, h('button', {type: 'button', onclick: () => save({[name]: null})}, 'Remove')))))),
    h('form', {class: 'row', onsubmit: (event) => {
      event.preventDefault();
      save({[key.value]: value.value});
      key.value = ''; value.value = '';
    }}, key, value, h('button', {type: 'submit', id: 'tag-save'}, 'Set tag')), message);
  }
  draw();
  return box;
}

function charts(run) {
  const keys = Object.keys(run.metricSummaries || run.metrics || {}).sort();
  const grid = h('div', {class: 'charts', id: 'charts'});
  const axis = h('select', {id: 'x-axis'}, h('option', {value: 'step'}, 'step'), h('option', {value: 'time'}, 'time'));
  const log = h('input', {type: 'checkbox', id: 'log-scale'});
  function draw() {
    fill(grid, keys.map((key) => metricChart(run.id, key, {axis: axis.value, logScale: log.checked})));
    if (grid.isConnected) startCharts(grid);
  }
  axis.addEventListener('change', draw);
  log.addEventListener('change', draw);
  draw();
  if (keys.length === 0) return h('p', {class: 'muted'}, 'No metrics logged.');
  return h('div', {}, h('div', {class: 'row'}, h('label', {}, 'x axis ', axis), h('label', {}, log, ' log scale')),
    grid);
}

async function logs(runId) {
  const answer = await api('GET', `/data/v1/runs/${runId}/logs?limit=500`);
  if (answer.items.length === 0) return h('p', {class: 'muted', id: 'logs'}, 'No log entries.');
  return h('pre', {class: 'logs', id: 'logs'}, answer.items.map((entry) =>
    h('div', {class: `log ${entry.level || ''}`}, `${formatTime(entry.time)} ${entry.level || ''} ${rankLabel(entry)}${entry.message}`)));
}

/** The models registered from this run (the hub's versions whose source is it); none when the hub cannot say. */
async function modelsFrom(run) {
  try {
    return (await api('GET', `/mlhub/v1/search?runId=${q(run.id)}&order=recent&facets=false&limit=100`)).items;
  } catch (error) {
    return [];
  }
}

/** The job that made the run, linked to its page, with its state. */
async function jobOf(run) {
  const id = run.source?.jobId;
  if (!id) return null;
  let state = '';
  try {
    state = (await api('GET', `/compute/v1/jobs/${q(id)}`)).state || '';
  } catch (error) {
    state = error.status === 404 ? 'not found' : '';
  }
  return h('li', {id: 'lineage-job'}, 'Made by job ', h('a', {class: 'mono', href: `/jobs/${q(id)}`}, id),
    state ? [' ', h('span', {class: `status ${state}`, dataset: {state}}, state)] : null);
}

async function lineage(run) {
  const [inputs, models, job] = await Promise.all([
    api('GET', `/data/v1/runs/${run.id}/inputs`).then((answer) => answer.items), modelsFrom(run), jobOf(run)]);
  return h('ul', {id: 'lineage'},
    inputs.map((input) => h('li', {}, 'Dataset version ',
      h('a', {href: `/datasets/${input.datasetId || ''}`}, input.datasetVersionId || input.versionId || ''),
      input.datasetName ? ` (${input.datasetName})` : '')),
    job,
    run.parentRunId ? h('li', {}, 'Child of ', h('a', {href: `/runs/${run.parentRunId}`}, run.parentRunId)) : null,
    models.map((version) => h('li', {class: 'registered-model', dataset: {versionId: version.id}},
      'Registered as ',
      h('a', {href: `/models/${q(version.modelId)}?version=${version.number}`},
        `${version.name} v${version.number}`),
      version.stage && version.stage !== 'none' ? ` (${version.stage})` : '')),
    inputs.length === 0 && !job && !run.parentRunId && models.length === 0
      ? h('li', {class: 'muted'}, 'No lineage recorded.') : null);
}

/** Files as a tree: paths split on '/', folders first. */
function tree(runId, files) {
  const root = {folders: new Map(), files: []};
  for (const file of files) {
    const parts = file.path.split('/');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      if (!node.folders.has(part)) node.folders.set(part, {folders: new Map(), files: []});
      node = node.folders.get(part);
    }
    node.files.push({name: parts[parts.length - 1], file});
  }
  function list(node) {
    return h('ul', {class: 'tree'},
      [...node.folders.entries()].sort().map(([name, child]) =>
        h('li', {}, h('details', {open: true}, h('summary', {}, name + '/'), list(child)))),
      node.files.sort((a, b) => a.name.localeCompare(b.name)).map(({name, file}) => h('li', {},
        h('a', {class: 'download', download: name, dataset: {path: file.path},
          href: `/api/data/v1/runs/${runId}/files/${file.path.split('/').map(q).join('/')}`}, name),
        ' ', h('span', {class: 'muted'}, `${file.size ?? ''} bytes`))));
  }
  return list(root);
}

async function filesPanel(runId) {
  const box = h('div', {id: 'files'});
  const message = h('div', {});
  const chooser = h('input', {type: 'file', id: 'upload-file'});
  const path = h('input', {id: 'upload-path', placeholder: 'path (default: the file name)'});
  async function draw() {
    const files = (await api('GET', `/data/v1/runs/${runId}/files?limit=1000`)).items;
    fill(box, files.length ? tree(runId, files) : h('p', {class: 'muted'}, 'No files.'),
      h('form', {class: 'row', onsubmit: async (event) => {
        event.preventDefault();
        const file = chooser.files[0];
        if (!file) return;
        const target = (path.value.trim() || file.name).split('/').map(q).join('/');
        try {
          await upload(`/data/v1/runs/${runId}/files/${target}`, file);
          await draw();
        } catch (error) { fill(message, errorBox(error)); }
      }}, chooser, path, h('button', {type: 'submit', id: 'upload'}, 'Upload')), message);
  }
  await draw();
  return box;
}

export async function runPage(main, {params: [runId]}) {
  const run = await api('GET', `/data/v1/runs/${runId}`);
  // Lineage, files and log load side by side and fill their cards as they come: the charts
  // (the page's main view) start at once, never waiting for another service (the hub, compute).
  const later = (id, load) => {
    const card = h('div', {id: `${id}-card`}, h('span', {class: 'muted'}, 'Loading…'));
    const filled = load().then((content) => fill(card, content), (error) => fill(card, errorBox(error)));
    return {card, filled};
  };
  const lineageCard = later('lineage', () => lineage(run));
  const filesCard = later('files', () => filesPanel(run.id));
  const logsCard = later('logs', () => logs(run.id));
  fill(main,
    h('p', {class: 'crumbs'}, h('a', {href: '/projects'}, 'Projects'), ' / ',
      h('a', {href: `/projects/${run.projectId}`}, 'Project'), ' / '),
    h('h1', {id: 'run-name'}, run.name || run.id),
    h('dl', {class: 'facts'},
      h('dt', {}, 'Status'), h('dd', {}, h('span', {class: `status ${run.status}`, id: 'run-status'}, run.status)),
      h('dt', {}, 'Start'), h('dd', {}, formatTime(run.startTime)),
      h('dt', {}, 'End'), h('dd', {}, formatTime(run.endTime)),
      h('dt', {}, 'Duration'), h('dd', {}, formatDuration(run.startTime, run.endTime)),
      h('dt', {}, 'Id'), h('dd', {class: 'mono'}, run.id)),
    h('section', {class: 'card'}, h('h2', {}, 'Metrics'), charts(run)),
    h('div', {class: 'columns'},
      h('section', {class: 'card'}, h('h2', {}, 'Params'), keyValueTable('params', run.params)),
      h('section', {class: 'card'}, h('h2', {}, 'Tags'), tagsEditor(run))),
    // The tag service's labels (cross-service, for facets and the by-tag view); the tags above are data's run tags.
    tagPanel('run', run.id, run.projectId),
    h('section', {class: 'card'}, h('h2', {}, 'Lineage'), lineageCard.card),
    h('section', {class: 'card'}, h('h2', {}, 'Files'), filesCard.card),
    h('section', {class: 'card'}, h('h2', {}, 'Log'), logsCard.card));
  // The page is ready (body[data-ready]) once every card is filled and every chart drawn.
  await Promise.all([startCharts(main), lineageCard.filled, filesCard.filled, logsCard.filled]);
}
