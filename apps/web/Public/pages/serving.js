// Deployments (docs/deployments.md): a model served by replicas behind one endpoint. Their pages
// live under /serving because /deployments/<id>/… on the gateway is each deployment's own
// endpoint. `/serving[?project=<id>]` lists a project's (or the caller's own);
// `/serving/<id>` shows one — state, replicas and their jobs, restarts, cold start, the endpoint
// with a "Try it" form that posts to its invocations, and Stop. Both read the API again every
// REFRESH_MS while open: a deployment has no event stream, and its replicas change slowly.
import {api, fetchRefreshing, q} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';
import {checkFields, clearErrors, field, formError} from '../forms.js';
import {commandText, isEnded, resourcesText, stateBadge, setStateBadge} from '../jobs/format.js';

const REFRESH_MS = 5000;

/** How many replicas run of how many are wanted: `2/2`. */
export function replicaCount(deployment) {
  const running = (deployment.replicas || []).filter((replica) => replica.state === 'running').length;
  return `${running}/${deployment.spec?.replicas ?? 1}`;
}

/** The endpoint's absolute URL on this gateway. */
function endpointURL(deployment) {
  return location.origin + deployment.endpointPath;
}

function deploymentBadge(state, attributes = {}) {
  // Deployment states take the job badge's colours: active as running, idle as queued.
  return h('span', {...attributes, class: `job-state deployment-state ${state || ''}`, dataset: {state: state || ''}},
    state || '');
}

function idleText(spec) {
  if (!spec?.idleSeconds) return 'never';
  const minutes = spec.idleSeconds / 60;
  return `after ${Number.isInteger(minutes) ? `${minutes} min` : `${spec.idleSeconds} s`} without a request`;
}

// ——— the list ———

const COLUMNS = ['Deployment', 'State', 'Replicas', 'Restarts', 'Endpoint', 'Created'];

function deploymentRow(deployment, projectNames) {
  const cells = [
    [h('a', {href: `/serving/${q(deployment.id)}`, class: 'deployment-link'}, deployment.name || deployment.id),
      h('div', {class: 'muted small'}, projectNames.get(deployment.projectId) || '')],
    [deploymentBadge(deployment.state), deployment.message ? h('div', {class: 'muted small'}, deployment.message) : null],
    h('span', {class: 'deployment-replica-count'}, replicaCount(deployment)),
    String(deployment.restarts ?? 0),
    deployment.state === 'stopped' ? h('span', {class: 'mono muted'}, deployment.endpointPath)
      : h('a', {href: deployment.endpointPath, class: 'mono', target: '_blank', rel: 'noopener'}, deployment.endpointPath),
    formatTime(deployment.createdAt),
  ];
  // data-label names the cell where a phone shows each row as a block (serving.css).
  return h('tr', {dataset: {deploymentId: deployment.id, state: deployment.state}},
    cells.map((content, index) => h('td', {dataset: {label: COLUMNS[index]}}, h('div', {}, content))));
}

export async function servingListPage(main) {
  const projectId = (new URLSearchParams(location.search).get('project') || '').trim();
  const path = '/compute/v1/deployments' + (projectId ? `?projectId=${q(projectId)}` : '');
  const [answer, projects] = await Promise.all([
    api('GET', path).catch((error) => ({error})),
    api('GET', '/data/v1/projects?limit=500').then((a) => a.items, () => []),
  ]);
  const projectNames = new Map(projects.map((p) => [p.id, p.name]));
  const project = h('select', {id: 'serving-project', name: 'project'},
    h('option', {value: ''}, 'My deployments (all projects)'),
    projectId && !projects.some((p) => p.id === projectId) ? h('option', {value: projectId, selected: true}, projectId)
      : null,
    projects.map((p) => h('option', {value: p.id, selected: p.id === projectId}, p.name)));
  project.addEventListener('change', () =>
    location.assign('/serving' + (project.value ? `?project=${q(project.value)}` : '')));
  const tbody = h('tbody');
  const draw = (items) => fill(tbody, items.map((deployment) => deploymentRow(deployment, projectNames)));
  const body = answer.error ? errorBox(answer.error)
    : answer.items.length === 0 ? h('p', {class: 'muted', id: 'serving-empty'},
      'No deployments here. Deploy a model version from the Hub as a service, or use `mlex serve`.')
      : h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'serving-table'},
        h('thead', {}, h('tr', {}, COLUMNS.map((title) => h('th', {}, title)))), tbody));
  fill(main, h('h1', {}, 'Serving'),
    h('form', {class: 'jobs-filters', id: 'serving-filters', onsubmit: (event) => event.preventDefault()}, h('label', {}, 'Project', project)),
    body);
  if (answer.error) return;
  let items = answer.items;
  draw(items);
  // Stopped deployments change no more: the list is read again while any is not stopped.
  const changing = () => items.some((deployment) => deployment.state !== 'stopped');
  const refresh = async () => {
    if (!document.hidden) {
      try {
        items = (await api('GET', path)).items;
        draw(items);
      } catch (error) {
        // A failed refresh leaves the rows as they were; the next one tries again.
      }
    }
    if (changing()) setTimeout(refresh, REFRESH_MS);
  };
  if (changing()) setTimeout(refresh, REFRESH_MS);
}

// ——— one deployment ———

/** A request body to start from: one record of the schema's properties, each at its default or a plain value. */
function exampleBody(schema) {
  const record = {};
  for (const [name, property] of Object.entries(schema?.properties || {})) {
    if (property.default !== undefined) record[name] = property.default;
    else if (property.enum?.length) record[name] = property.enum[0];
    else if (property.type === 'number' || property.type === 'integer') record[name] = property.minimum > 0 ? property.minimum : 1;
    else if (property.type === 'boolean') record[name] = false;
    else record[name] = '';
  }
  return JSON.stringify({inputs: [record]});
}

/** `x: number, -1000 to 1000, required` for each property of the input schema. */
function schemaList(schema) {
  const required = new Set(schema?.required || []);
  const entries = Object.entries(schema?.properties || {});
  if (entries.length === 0) return null;
  return h('ul', {class: 'deployment-schema', id: 'deployment-schema'}, entries.map(([name, property]) => {
    const parts = [property.type || 'any'];
    if (property.enum) parts.push(`one of ${property.enum.map((value) => JSON.stringify(value)).join(', ')}`);
    if (property.minimum !== undefined || property.maximum !== undefined) {
      parts.push(`${property.minimum ?? '…'} to ${property.maximum ?? '…'}`);
    }
    if (required.has(name)) parts.push('required');
    return h('li', {}, h('span', {class: 'mono'}, name), ': ', parts.join(', '));
  }));
}

/**
 * "Try it": a JSON body posted to the deployment's `invocations` with the session cookie (the
 * gateway turns it into the token, as for /api/…). The status and the answer are shown as text;
 * a 400 names the field it refused (`inputs.0.x`), shown beside the body.
 */
function tryItForm(deployment) {
  const body = h('textarea', {id: 'try-body', rows: '6', spellcheck: 'false', class: 'mono'},
    exampleBody(deployment.spec?.inputSchema));
  const status = h('span', {id: 'try-status', class: 'job-state'});
  const output = h('pre', {id: 'try-answer', class: 'logs try-answer', hidden: true});
  const send = h('button', {type: 'submit', id: 'try-send'}, 'Send');
  const url = deployment.endpointPath + 'invocations';
  const form = h('form', {id: 'try-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkFields(form)) return;
    const slot = form.querySelector('.field-error[data-error-for="body"]');
    try {
      JSON.parse(body.value);
    } catch (error) {
      fill(slot, `not JSON: ${error.message}`);
      body.setAttribute('aria-invalid', 'true');
      return;
    }
    send.disabled = true;
    fill(status, 'sending…');
    status.className = 'job-state queued';
    const started = performance.now();
    try {
      // An access token past its time is refreshed and the call sent again, as for API calls.
      const response = await fetchRefreshing(url, {method: 'POST', credentials: 'same-origin', body: body.value,
        headers: {'Content-Type': 'application/json', Accept: 'application/json'}});
      const text = await response.text();
      let shown = text;
      let parsed = null;
      try {
        parsed = JSON.parse(text);
        shown = JSON.stringify(parsed, null, 2);
      } catch {
        parsed = null;
      }
      const took = ((performance.now() - started) / 1000).toFixed(2);
      fill(status, `${response.status} ${response.statusText || ''}`.trim(), ` · ${took} s`);
      status.className = `job-state ${response.ok ? 'succeeded' : 'failed'}`;
      status.dataset.status = String(response.status);
      fill(output, shown);
      output.hidden = false;
      output.scrollIntoView({block: 'nearest'});
      const refused = parsed?.error;
      if (!response.ok && refused) {
        // The field the platform refused (inputs.0.x), beside the body it is part of.
        fill(slot, refused.field ? `${refused.field}: ${refused.message}` : refused.message || '');
        slot.dataset.field = refused.field || '';
        body.setAttribute('aria-invalid', 'true');
      }
    } catch (error) {
      fill(status, 'no answer');
      status.className = 'job-state failed';
      fill(form.querySelector('.form-error'), error.message || String(error));
    } finally {
      send.disabled = false;
    }
  }},
  field(h('span', {}, 'Body (JSON) → ', h('span', {class: 'mono'}, `POST ${url}`)), body, 'body',
    'MLflow\'s forms: {"inputs": [records]}, {"instances": …}, {"dataframe_split": …} or one record'),
  formError(),
  h('p', {class: 'row'}, send, status),
  output);
  return form;
}

export async function deploymentPage(main, {me, params: [deploymentId]}) {
  let deployment = await api('GET', `/compute/v1/deployments/${q(deploymentId)}`);
  const project = await api('GET', `/data/v1/projects/${q(deployment.projectId)}`).catch(() => null);
  const mayEdit = ['editor', 'owner'].includes(project?.yourRole) || deployment.owner === me?.id;

  // What changes is kept as elements updated in place by update().
  const badge = deploymentBadge(deployment.state, {id: 'deployment-state'});
  const message = h('div', {id: 'deployment-message', class: 'muted small'});
  const replicaList = h('ul', {id: 'deployment-replicas', class: 'deployment-replicas'});
  const replicaCountText = h('span', {id: 'deployment-replica-count'});
  const restarts = h('dd', {id: 'deployment-restarts'});
  const coldStart = h('dd', {id: 'deployment-cold-start'});
  const updated = h('dd', {});
  const stopButton = h('button', {type: 'button', id: 'deployment-stop', class: 'trash'}, 'Stop');
  const stopBox = h('div', {id: 'deployment-stop-box', class: 'job-confirm', hidden: true});
  const actionMessage = h('div', {id: 'deployment-action-error'});
  const openLink = h('a', {href: deployment.endpointPath, id: 'deployment-open', class: 'button-link', target: '_blank',
    rel: 'noopener'}, 'Open');

  function update(next) {
    deployment = next;
    setStateBadge(badge, deployment.state);
    badge.classList.add('deployment-state');
    fill(message, deployment.message || '');
    fill(replicaCountText, `${replicaCount(deployment)} running`);
    // Stopping and scaling to zero cancel the replicas and forget them: their jobs (named
    // `<name> replica <n>`) stay in the project's jobs list with their logs.
    const none = {idle: 'none while idle: the next request starts them', stopped: 'none: cancelled when it stopped'};
    fill(replicaList, (deployment.replicas || []).length === 0
      ? h('li', {class: 'muted', id: 'deployment-no-replicas'}, none[deployment.state] || 'none', ' (',
        h('a', {href: `/jobs?projectId=${q(deployment.projectId)}`}, 'the project\'s jobs'), ')')
      : deployment.replicas.map((replica, index) => h('li', {dataset: {jobId: replica.jobId, state: replica.state}},
        h('a', {href: `/jobs/${q(replica.jobId)}`, class: 'mono replica-link'}, `replica ${index}`), ' ',
        stateBadge(replica.state), replica.answered ? h('span', {class: 'muted small'}, ' answering') : null)));
    fill(restarts, String(deployment.restarts ?? 0),
      deployment.crashLoop ? h('span', {class: 'error small'}, ` crash loop (${deployment.crashLoop} in a row)`) : null,
      deployment.lastRestartAt ? h('span', {class: 'muted small'}, ` last ${formatTime(deployment.lastRestartAt)}`)
        : null);
    fill(coldStart, deployment.lastColdStartSeconds === undefined || deployment.lastColdStartSeconds === null
      ? h('span', {class: 'muted'}, 'none yet')
      : `${Number(deployment.lastColdStartSeconds).toFixed(2)} s`);
    fill(updated, formatTime(deployment.updatedAt));
    const stopped = deployment.state === 'stopped';
    stopButton.hidden = stopped || !mayEdit;
    if (stopped) stopBox.hidden = true;
    openLink.hidden = stopped;
    // A stopped deployment answers 503 to everything: nothing to try.
    tryIt.hidden = stopped;
    tryStopped.hidden = !stopped;
  }

  const tryIt = tryItForm(deployment);
  const tryStopped = h('p', {class: 'muted', id: 'try-stopped', hidden: true},
    'Stopped: its endpoint answers 503 from now on.');

  stopButton.addEventListener('click', () => {
    fill(stopBox, h('span', {}, 'Stop this deployment? Its replicas are cancelled and its endpoint answers 503 '
      + 'from then on; it cannot be started again. '),
    h('button', {type: 'button', id: 'deployment-stop-confirm', class: 'trash', onclick: async () => {
      stopBox.hidden = true;
      try {
        update(await api('DELETE', `/compute/v1/deployments/${q(deployment.id)}`));
      } catch (error) { fill(actionMessage, errorBox(error)); }
    }}, 'Yes, stop it'), ' ',
    h('button', {type: 'button', id: 'deployment-stop-keep', onclick: () => { stopBox.hidden = true; }}, 'Keep it'));
    stopBox.hidden = false;
  });

  const spec = deployment.spec || {};
  const shell = spec.command?.length === 3 && spec.command[0] === '/bin/sh' && spec.command[1] === '-c';
  const schema = schemaList(spec.inputSchema);
  fill(main,
    h('p', {class: 'crumbs'}, h('a', {href: `/serving?project=${q(deployment.projectId)}`}, 'Serving'), ' / ',
      h('a', {href: `/projects/${q(deployment.projectId)}`}, project?.name || 'Project'), ' / '),
    h('h1', {id: 'deployment-name'}, deployment.name || deployment.id),
    h('div', {class: 'row job-actions'}, stopButton), stopBox, actionMessage,
    h('section', {class: 'card deployment-summary'},
      h('dl', {class: 'facts'},
        h('dt', {}, 'State'), h('dd', {}, badge, message),
        h('dt', {}, 'Replicas'), h('dd', {}, replicaCountText, replicaList),
        h('dt', {}, 'Restarts'), restarts,
        h('dt', {}, 'Last cold start'), coldStart,
        h('dt', {}, 'Scale to zero'), h('dd', {}, idleText(spec)),
        h('dt', {}, 'Endpoint'), h('dd', {class: 'deployment-endpoint'},
          h('span', {class: 'mono', id: 'deployment-endpoint'}, endpointURL(deployment)), ' ', openLink))),
    h('section', {class: 'card', id: 'deployment-try'}, h('h2', {}, 'Try it'),
      schema ? [h('p', {class: 'muted small'}, 'Each record is checked against the input schema first:'), schema]
        : null,
      tryIt, tryStopped),
    h('section', {class: 'card'}, h('h2', {}, 'Details'),
      h('dl', {class: 'facts'},
        h('dt', {}, 'Owner'), h('dd', {class: 'mono'}, deployment.owner === me?.id ? `you (${deployment.owner})`
          : deployment.owner),
        h('dt', {}, 'Project'), h('dd', {}, h('a', {href: `/projects/${q(deployment.projectId)}`},
          project?.name || deployment.projectId)),
        h('dt', {}, shell ? 'Shell command' : 'Command'), h('dd', {class: 'mono job-command', id: 'deployment-command'},
          shell ? spec.command[2] : commandText(spec.command) || 'the code package\'s main.py'),
        spec.template ? [h('dt', {}, 'Template'), h('dd', {}, spec.template)] : null,
        spec.image ? [h('dt', {}, 'Image'), h('dd', {class: 'mono'}, spec.image)] : null,
        spec.resources ? [h('dt', {}, 'Resources'), h('dd', {}, `${resourcesText(spec.resources)} per replica`)] : null,
        spec.codePackage ? [h('dt', {}, 'Code package'), h('dd', {class: 'mono'}, spec.codePackage)] : null,
        spec.modelVersionId ? [h('dt', {}, 'Model version'), h('dd', {class: 'mono'}, spec.modelVersionId)] : null,
        h('dt', {}, 'Created'), h('dd', {}, formatTime(deployment.createdAt)),
        h('dt', {}, 'Updated'), updated,
        h('dt', {}, 'Id'), h('dd', {class: 'mono'}, deployment.id))));
  update(deployment);

  // Until it is stopped and its replicas have ended, read it again every REFRESH_MS.
  const settled = () => deployment.state === 'stopped' && (deployment.replicas || []).every((r) => isEnded(r.state));
  const refresh = async () => {
    if (!document.hidden) {
      try {
        update(await api('GET', `/compute/v1/deployments/${q(deployment.id)}`));
      } catch (error) {
        // A failed refresh leaves the page as it was; the next one tries again.
      }
    }
    if (!settled()) setTimeout(refresh, REFRESH_MS);
  };
  if (!settled()) setTimeout(refresh, REFRESH_MS);
}
