// Ingest a model or dataset package: pick a project and a kind, drop a tar (or tar.gz) or choose
// it, watch it upload, then see the ingestion's stages and, when rejected, every reason. The
// ingest service answers the POST once the package is accepted or rejected, so "watching" is the
// upload's progress, then the stages as the service recorded them (each with its time).
import {api, ApiError, q, signInURL} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';
import {clearErrors, field, formError, showError} from '../forms.js';

const stages = ['received', 'validating', 'accepted', 'rejected'];

function ingestionLink(ingestion) {
  return `/ingest?projectId=${q(ingestion.projectId)}&ingestion=${q(ingestion.id)}`;
}

/** POSTs `file` with XMLHttpRequest, whose upload.onprogress fetch lacks; the ingestion it answers. */
function send(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/api' + path);
    // Same origin: the session cookie goes along and the browser sends the Origin header the gateway checks.
    request.withCredentials = true;
    request.setRequestHeader('Accept', 'application/json');
    request.setRequestHeader('Content-Type', /\.(tgz|gz)$/i.test(file.name) ? 'application/gzip' : 'application/x-tar');
    request.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    request.upload.onload = () => onProgress(file.size, file.size, true);
    request.onerror = () => reject(new Error('the upload failed (network error)'));
    request.onload = () => {
      let body = null;
      try { body = request.responseText ? JSON.parse(request.responseText) : null; } catch { body = null; }
      if (request.status === 401) {
        location.assign(signInURL());
        reject(new ApiError(401, body));
      } else if (body && body.id && body.state) {
        // 201 accepted, 200 the same package already ingested, 422 rejected: all are an ingestion.
        resolve({ingestion: body, status: request.status});
      } else {
        reject(new ApiError(request.status, body));
      }
    };
    request.send(file);
  });
}

/** The stages, reached ones with their time and the time since the one before. */
function stageList(ingestion) {
  const reached = new Map((ingestion.transitions || []).map((step) => [step.state, step.at]));
  const final = ingestion.state === 'rejected' ? 'accepted' : 'rejected';
  let previous = null;
  return h('ol', {class: 'ingest-stages', id: 'ingest-stages'},
    stages.filter((stage) => stage !== final || reached.has(stage)).map((stage) => {
      const at = reached.get(stage);
      const since = at && previous ? ` (+${((new Date(at) - new Date(previous)) / 1000).toFixed(2)} s)` : '';
      if (at) previous = at;
      return h('li', {class: `ingest-stage ${at ? 'reached' : 'pending'}`, dataset: {stage}},
        h('span', {class: `status ${stage}`}, stage), ' ',
        h('span', {class: at ? 'mono' : 'muted'}, at ? formatTime(at) + since : 'not reached'));
    }));
}

function reasonList(reasons) {
  return h('ul', {class: 'ingest-reasons', id: 'ingest-reasons'}, reasons.map((reason) =>
    h('li', {class: 'ingest-reason', dataset: {field: reason.field || '', file: reason.file || ''}},
      reason.field ? h('code', {class: 'ingest-reason-field'}, reason.field) : null,
      reason.file ? h('code', {class: 'ingest-reason-file'}, reason.file) : null,
      h('span', {class: 'ingest-reason-message'}, reason.message))));
}

/** The hub's version made from this ingestion: it arrives over the bus, so asked a few times. */
async function findHubVersion(ingestion, attempts = 30) {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const found = await api('GET', `/mlhub/v1/search?q=${q(ingestion.name)}&projectId=${q(ingestion.projectId)}` +
        '&order=recent&facets=false&limit=50');
      const version = found.items.find((item) => item.source?.ingestionId === ingestion.id);
      if (version) return version;
    } catch (error) {
      if (error.status !== 404 && error.status !== 502) return null;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return null;
}

function acceptedLinks(ingestion) {
  if (ingestion.kind === 'dataset') {
    return h('p', {id: 'ingest-links'}, 'Stored as ',
      h('a', {href: `/datasets/${q(ingestion.datasetId)}`, id: 'ingest-dataset-link'},
        `${ingestion.name} version ${ingestion.versionNumber ?? ''}`),
      ingestion.fileCount !== undefined ? ` (${ingestion.fileCount} files)` : '');
  }
  const model = h('span', {id: 'ingest-model-slot', class: 'muted'}, ' · looking for its model page…');
  const links = h('p', {id: 'ingest-links'},
    h('a', {href: `/hub?q=${q(ingestion.name)}`, id: 'ingest-hub-link'}, `Find ${ingestion.name} in the hub`), model);
  findHubVersion(ingestion).then((version) => {
    if (!version) return fill(model, ' · the hub has not listed it yet');
    model.className = '';
    fill(model, ' · ', h('a', {href: `/models/${q(version.modelId)}?version=${version.number}`, id: 'ingest-model-link'},
      `${version.name || ingestion.name} version ${version.number}`));
  });
  return links;
}

/** One ingestion: its state, stages, reasons or what it became. */
function ingestionView(ingestion, note) {
  return h('div', {class: 'ingest-outcome', dataset: {ingestionId: ingestion.id, state: ingestion.state}},
    h('p', {},
      h('span', {class: `status ${ingestion.state}`, id: 'ingest-state', dataset: {state: ingestion.state}},
        ingestion.state), ' ',
      h('span', {}, `${ingestion.kind} package`, ingestion.name ? ` ${ingestion.name}` : '',
        ingestion.version ? ` ${ingestion.version}` : ''),
      note ? h('span', {class: 'muted'}, ` — ${note}`) : null),
    stageList(ingestion),
    ingestion.state === 'rejected' ? [h('h3', {}, `Why it was rejected (${ingestion.reasons.length})`),
      reasonList(ingestion.reasons)] : null,
    ingestion.state === 'accepted' ? acceptedLinks(ingestion) : null,
    h('p', {class: 'muted mono ingest-digest'}, `id ${ingestion.id} · sha256 ${ingestion.digest}`,
      ingestion.size !== undefined ? ` · ${ingestion.size} bytes` : ''));
}

/** The project's ingestions, newest first, a page at a time. */
function recentList(projectId) {
  const box = h('div', {id: 'ingestions'});
  const rows = h('tbody', {});
  const more = h('button', {type: 'button', class: 'link', id: 'ingestions-more'}, 'More');
  let after = null;
  async function page() {
    const answer = await api('GET', `/ingest/v1/ingestions?projectId=${q(projectId)}&limit=20` +
      (after ? `&after=${q(after)}` : ''));
    after = answer.nextAfter || null;
    rows.append(...answer.items.map((item) => h('tr', {dataset: {ingestionId: item.id, state: item.state}},
      h('td', {}, h('a', {href: ingestionLink(item)}, formatTime(item.createdAt))),
      h('td', {}, item.kind), h('td', {}, [item.name, item.version].filter(Boolean).join(' ')),
      h('td', {}, h('span', {class: `status ${item.state}`}, item.state)),
      h('td', {class: 'num'}, item.state === 'rejected' ? String(item.reasons.length) : ''))));
    more.classList.toggle('hidden', !after);
    return answer.items.length;
  }
  more.addEventListener('click', () => page().catch((error) => box.append(errorBox(error))));
  const load = async () => {
    fill(box, h('span', {class: 'muted'}, 'Loading…'));
    rows.replaceChildren();
    after = null;
    try {
      const count = await page();
      fill(box, count === 0 ? h('p', {class: 'muted'}, 'No ingestions in this project yet.') :
        h('div', {class: 'scroll'}, h('table', {class: 'grid ingest-table', id: 'ingestions-table'},
          h('thead', {}, h('tr', {}, h('th', {}, 'Sent'), h('th', {}, 'Kind'), h('th', {}, 'Name'),
            h('th', {}, 'State'), h('th', {}, 'Reasons'))), rows)), more);
    } catch (error) { fill(box, errorBox(error)); }
  };
  return {box, load};
}

/** The drop zone: a file dropped on it or chosen with its input becomes the package to send. */
function dropZone(onFile) {
  const input = h('input', {type: 'file', id: 'ingest-file', name: 'file', accept: '.tar,.tar.gz,.tgz,application/x-tar,application/gzip'});
  const chosen = h('span', {class: 'ingest-file-name', id: 'ingest-file-name'}, 'No file chosen');
  const zone = h('div', {class: 'ingest-drop', id: 'ingest-drop'},
    h('p', {}, 'Drop a package here (tar or tar.gz), or choose it: '), input, chosen);
  const take = (file) => {
    fill(chosen, file ? `${file.name} · ${file.size} bytes` : 'No file chosen');
    onFile(file || null);
  };
  input.addEventListener('change', () => take(input.files[0]));
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('ingest-drop-over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('ingest-drop-over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('ingest-drop-over');
    if (event.dataTransfer.files.length) take(event.dataTransfer.files[0]);
  });
  return zone;
}

export async function ingestPage(main) {
  const params = new URLSearchParams(location.search);
  const projects = (await api('GET', '/data/v1/projects?limit=500')).items || [];
  if (projects.length === 0) {
    fill(main, h('h1', {}, 'Ingest a package'),
      h('p', {}, 'Packages go into a project: ', h('a', {href: '/projects'}, 'create one first'), '.'));
    return;
  }
  let projectId = params.get('projectId');
  if (!projects.some((project) => project.id === projectId)) projectId = projects[0].id;

  const project = h('select', {id: 'ingest-project'}, projects.map((item) =>
    h('option', {value: item.id, selected: item.id === projectId}, item.name)));
  const kind = h('select', {id: 'ingest-kind'},
    h('option', {value: 'model'}, 'Model package (model.json and its files)'),
    h('option', {value: 'dataset'}, 'Dataset package (every file becomes a file of a new version)'));
  const datasetName = h('input', {id: 'ingest-dataset-name', maxlength: 200, placeholder: 'dataset name'});
  const nameField = field('Dataset', datasetName, 'name', 'a new version of this dataset (created when missing)');
  nameField.classList.add('hidden');
  const progress = h('progress', {id: 'ingest-progress', max: 1, value: 0, class: 'hidden'});
  const progressText = h('span', {id: 'ingest-progress-text', class: 'muted'});
  const submit = h('button', {type: 'submit', id: 'ingest-submit', disabled: true}, 'Upload and ingest');
  const result = h('section', {class: 'card ingest-result hidden', id: 'ingest-result'});
  const recent = h('section', {class: 'card ingest-recent', id: 'ingest-recent'}, h('h2', {}, 'Recent ingestions'));
  let file = null;
  let list = recentList(projectId);
  recent.append(list.box);

  kind.addEventListener('change', () => nameField.classList.toggle('hidden', kind.value !== 'dataset'));
  project.addEventListener('change', () => {
    projectId = project.value;
    history.replaceState(null, '', `/ingest?projectId=${q(projectId)}`);
    list.box.remove();
    list = recentList(projectId);
    recent.append(list.box);
    list.load();
  });

  const form = h('form', {class: 'card ingest-form', id: 'ingest-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!file) return;
    if (kind.value === 'dataset' && !datasetName.value.trim()) {
      showError(form, {field: 'name', message: 'name the dataset the files go to'});
      return;
    }
    const path = kind.value === 'model'
      ? `/ingest/v1/models?projectId=${q(projectId)}`
      : `/ingest/v1/datasets?projectId=${q(projectId)}&name=${q(datasetName.value.trim())}`;
    submit.disabled = true;
    progress.classList.remove('hidden');
    progress.value = 0;
    result.classList.remove('hidden');
    fill(result, h('h2', {}, 'Ingestion'), h('p', {id: 'ingest-state', dataset: {state: 'uploading'}}, 'Uploading…'));
    try {
      const {ingestion, status} = await send(path, file, (loaded, total, done) => {
        progress.value = total ? loaded / total : 0;
        fill(progressText, done ? `${total} bytes sent; the service is checking the package…`
          : `${loaded} of ${total} bytes`);
        if (done) fill(result, h('h2', {}, 'Ingestion'),
          h('p', {id: 'ingest-state', dataset: {state: 'validating'}}, 'Uploaded; validating…'));
      });
      fill(progressText, '');
      progress.classList.add('hidden');
      fill(result, h('h2', {}, 'Ingestion'),
        ingestionView(ingestion, status === 200 ? 'this package was ingested before; this is that ingestion' : ''));
      result.scrollIntoView({block: 'start'});
      history.replaceState(null, '', ingestionLink(ingestion));
      list.load();
    } catch (error) {
      result.classList.add('hidden');
      progress.classList.add('hidden');
      fill(progressText, '');
      showError(form, error);
    } finally {
      submit.disabled = !file;
    }
  }},
  field('Project', project, 'projectId', 'editors of the project may ingest'),
  field('Kind', kind, 'kind'),
  nameField,
  dropZone((chosen) => {
    file = chosen;
    submit.disabled = !file;
  }),
  h('div', {class: 'row'}, submit, progress, progressText),
  formError());

  fill(main,
    h('h1', {}, 'Ingest a package'),
    h('p', {class: 'muted'}, 'A model package is a tar with model.json at its root listing exactly its files ' +
      '(path, size, sha256); see docs/ingest.md.'),
    form, result, recent);

  const shown = params.get('ingestion');
  const loading = [list.load()];
  if (shown) {
    result.classList.remove('hidden');
    loading.push(api('GET', `/ingest/v1/ingestions/${q(shown)}`).then(
      (ingestion) => {
        fill(result, h('h2', {}, 'Ingestion'), ingestionView(ingestion));
        result.scrollIntoView({block: 'start'});
      },
      (error) => fill(result, h('h2', {}, 'Ingestion'), errorBox(error))));
  }
  await Promise.all(loading);
}
