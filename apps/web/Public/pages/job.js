// One job, live: its facts, state and progress (the server-sent `…/events` stream: the job at
// once, then on every change), its log (jobs/log.js), usage charts (refreshed every 5 s while it
// runs), outputs to download, its run and the model version it registered, cancel (confirmed in
// the page) and rerun with overrides. Streams close when the job ends or the page goes.
import {api, q} from '../api.js';
import {errorBox, fill, formatTime, formatValue, h} from '../dom.js';
import {tagPanel} from '../tags.js';
import {
  commandText, idleText, isEnded, progressBar, queuedFor, ranFor, reasonText, resourcesText, setStateBadge, stateBadge,
} from '../jobs/format.js';
import {cancelControl} from '../jobs/cancel.js';
import {jobLog} from '../jobs/log.js';
import {rerunForm} from '../jobs/rerun.js';
import {follow} from '../jobs/stream.js';
import {usagePanel} from '../jobs/usage.js';

/** The slowest anything here is polled (usage while running, the hub after the job). */
const POLL_MS = 5000;

function facts(pairs) {
  return h('dl', {class: 'facts job-facts'}, pairs.filter(Boolean).map(([label, value]) =>
    [h('dt', {}, label), value instanceof Node ? value : h('dd', {}, value)]));
}

function outputsList(answer) {
  if (answer.items.length === 0) return h('p', {class: 'muted'}, 'No outputs.');
  return h('ul', {class: 'job-outputs-list'}, answer.items.map((file) => h('li', {},
    h('a', {class: 'download', href: file.downloadPath, download: (file.name || file.path).split('/').pop(),
      dataset: {name: file.name || file.path}}, file.name || file.path),
    ' ', h('span', {class: 'muted'}, `${file.size ?? ''} bytes`))));
}

export async function jobPage(main, {me, params: [jobId]}) {
  let job = await api('GET', `/compute/v1/jobs/${q(jobId)}`);
  const [project, node] = await Promise.all([
    api('GET', `/data/v1/projects/${q(job.projectId)}`).catch(() => null),
    job.nodeId ? api('GET', `/compute/v1/nodes/${q(job.nodeId)}`).catch(() => null) : null,
  ]);
  const nodeNames = new Map(node ? [[node.id, node.name]] : []);

  // What changes while the job lives: kept as elements updated in place (tests and readers
  // hold on to them), never rebuilt.
  const badge = stateBadge(job.state, {id: 'job-state'});
  const reason = h('span', {id: 'job-reason', class: 'muted'});
  const message = h('div', {id: 'job-message', class: 'muted small'});
  const progress = progressBar(job, {id: 'job-progress'});
  const progressText = h('span', {id: 'job-progress-message'});
  const nodeLink = h('a', {id: 'job-node'});
  const times = {scheduled: h('dd'), started: h('dd'), ended: h('dd'), queued: h('dd'), ran: h('dd')};
  const actionMessage = h('div', {id: 'job-action-error'});
  const cancel = cancelControl({
    prefix: 'job', label: 'Cancel job', question: 'Cancel this job? A running job is killed on its node. ',
    actionMessage, onCancelled: (next) => update(next),
  });
  const {button: cancelButton, box: cancelBox} = cancel;
  const rerunBox = h('section', {class: 'card', id: 'job-rerun-box', hidden: true});
  const outputs = h('div', {id: 'job-outputs'}, h('span', {class: 'muted'}, 'Loading…'));
  const models = h('span', {id: 'job-models'});
  const log = jobLog(job.id);
  const usage = usagePanel(job.id, () => job.startedAt);

  async function showNode() {
    if (!job.nodeId) { nodeLink.removeAttribute('href'); nodeLink.textContent = '—'; return; }
    if (!nodeNames.has(job.nodeId)) {
      const found = await api('GET', `/compute/v1/nodes/${q(job.nodeId)}`).catch(() => null);
      nodeNames.set(job.nodeId, found?.name || job.nodeId);
    }
    nodeLink.href = `/nodes?node=${q(job.nodeId)}`;
    nodeLink.textContent = nodeNames.get(job.nodeId);
  }

  function tick() {
    fill(times.queued, queuedFor(job));
    fill(times.ran, ranFor(job));
  }

  function update(next) {
    job = next;
    setStateBadge(badge, job.state);
    fill(reason, reasonText(job) ? ` ${reasonText(job)}` : '');
    // "exited with code 0" says what the reason already does.
    fill(message, /^exited with code/.test(job.message || '') ? '' : job.message || '');
    progress.value = job.progress || 0;
    fill(progressText, `${Math.round((job.progress || 0) * 100)}%`,
      job.progressMessage ? ` ${job.progressMessage}` : '');
    fill(times.scheduled, formatTime(job.scheduledAt));
    fill(times.started, formatTime(job.startedAt));
    fill(times.ended, formatTime(job.endedAt));
    tick();
    showNode();
    cancel.update(job);
  }

  const rerunButton = h('button', {type: 'button', id: 'job-rerun', onclick: async () => {
    if (!rerunBox.hidden) { rerunBox.hidden = true; return; }
    try {
      fill(rerunBox, h('h2', {}, 'Rerun with changes'), await rerunForm(job));
      rerunBox.hidden = false;
      rerunBox.scrollIntoView({block: 'nearest'});
    } catch (error) { fill(actionMessage, errorBox(error)); }
  }}, 'Rerun…');

  async function loadOutputs() {
    try {
      fill(outputs, outputsList(await api('GET', `/compute/v1/jobs/${q(job.id)}/outputs`)));
    } catch (error) { fill(outputs, errorBox(error)); }
  }

  /** The hub's versions registered from the job's run; asked again while a registration is awaited. */
  async function loadModels(triesLeft) {
    let items = [];
    try {
      items = (await api('GET', `/mlhub/v1/search?runId=${q(job.runId)}&order=recent&facets=false`)).items;
    } catch (error) {
      items = [];
    }
    fill(models, items.map((version, index) => [index ? ', ' : '',
      h('a', {href: `/models/${q(version.modelId)}?version=${version.number}`, class: 'job-model-link',
        id: index === 0 ? 'job-model-link' : null, dataset: {versionId: version.id}},
      `${version.name} v${version.number}`)]));
    // mlhub registers from the run's `finished` event: the version comes a moment after the job.
    if (items.length === 0 && job.spec?.registerModel && job.state === 'succeeded' && triesLeft > 0) {
      fill(models, h('span', {class: 'muted'}, `waiting for ${job.spec.registerModel.name}…`));
      setTimeout(() => loadModels(triesLeft - 1), POLL_MS);
    } else if (items.length === 0) {
      const awaited = job.spec?.registerModel && !isEnded(job.state);
      fill(models, h('span', {class: 'muted'}, awaited ? `${job.spec.registerModel.name} (when it succeeds)` : 'none'));
    }
  }

  let usageTimer = null;
  function pollUsage() {
    clearTimeout(usageTimer);
    usage.refresh().catch(() => {});
    if (!isEnded(job.state)) usageTimer = setTimeout(pollUsage, POLL_MS);
  }
  let ticker = null;
  let ended = isEnded(job.state);
  function onEnded() {
    if (ended) return;
    ended = true;
    clearInterval(ticker);
    pollUsage();
    loadOutputs();
    loadModels(12);
  }

  const spec = job.spec || {};
  // A terminal session (docs/web-compute.md) has no command: its shell is opened on its own page.
  const terminal = spec.endpoint?.kind === 'terminal';
  const shell = spec.command?.length === 3 && spec.command[0] === '/bin/sh' && spec.command[1] === '-c';
  fill(main,
    h('p', {class: 'crumbs'}, h('a', {href: `/jobs?projectId=${q(job.projectId)}`}, 'Jobs'), ' / ',
      h('a', {href: `/projects/${q(job.projectId)}`}, project?.name || 'Project'), ' / '),
    h('h1', {id: 'job-name'}, job.name || job.id),
    h('div', {class: 'row job-actions'}, cancelButton, terminal ? null : rerunButton,
      terminal ? h('a', {href: `/jobs/${q(job.id)}/terminal`, id: 'job-open-terminal', class: 'button-link'},
        'Open terminal') : null),
    cancelBox, actionMessage, rerunBox,
    // What changes while it runs first; the spec it was given further down.
    h('section', {class: 'card job-summary'},
      h('div', {class: 'job-progress-row'}, progress, progressText),
      facts([
        ['State', h('dd', {}, badge, reason, message)],
        ['Node', h('dd', {}, nodeLink)],
        ['Started', times.started], ['Ended', times.ended],
        ['Queued for', times.queued], ['Ran for', times.ran],
        ['Run', h('dd', {}, h('a', {href: `/runs/${q(job.runId)}`, id: 'job-run-link'}, job.runId))],
        ['Model', h('dd', {}, models)],
      ])),
    h('section', {class: 'card'}, h('h2', {}, 'Log'), log.element),
    h('section', {class: 'card'}, h('h2', {}, 'Outputs'), outputs),
    h('section', {class: 'card'}, h('h2', {}, 'Usage'), usage.element),
    h('section', {class: 'card'}, h('h2', {}, 'Details'),
      facts([
        ['Owner', h('dd', {class: 'mono'}, job.owner === me?.id ? `you (${job.owner})` : job.owner)],
        ['Project', h('dd', {}, h('a', {href: `/projects/${q(job.projectId)}`}, project?.name || job.projectId))],
        ['Queue', job.queue || 'default'],
        ['Priority', String(job.priority ?? '')],
        ['Resources', resourcesText(job.resources)],
        job.template ? ['Template', h('dd', {}, h('a', {href: `/templates/${q(job.template)}`}, job.template))] : null,
        job.image ? ['Image', h('dd', {class: 'mono'}, job.image)] : null,
        terminal ? ['Terminal', h('dd', {id: 'job-terminal'}, `a shell in the browser; ${idleText(spec.endpoint)}`)]
          : [shell ? 'Shell command' : 'Command', h('dd', {class: 'mono job-command', id: 'job-command'},
            shell ? spec.command[2] : commandText(spec.command) || 'the code package\'s main.py')],
        spec.codePackage ? ['Code package', h('dd', {class: 'mono'}, spec.codePackage)] : null,
        spec.inputs?.length ? ['Inputs', h('dd', {class: 'mono'}, spec.inputs.join(', '))] : null,
        spec.params && Object.keys(spec.params).length ? ['Params', h('dd', {id: 'job-params'},
          Object.entries(spec.params).map(([key, value]) => h('div', {}, h('span', {class: 'mono'}, key), ' = ',
            formatValue(value))))] : null,
        spec.timeoutSeconds ? ['Timeout', `${spec.timeoutSeconds} s`] : null,
        spec.registerModel ? ['Registers', `model ${spec.registerModel.name}`] : null,
        // The job's own pages, served through the gateway while it runs (docs/endpoints.md).
        job.endpointPath && !terminal ? ['Endpoint', h('dd', {}, h('a', {href: job.endpointPath, id: 'job-endpoint',
          target: '_blank', rel: 'noopener'}, `Open ${job.endpointPath}`))] : null,
        ['Submitted', formatTime(job.createdAt)],
        ['Scheduled', times.scheduled],
        job.rerunOf ? ['Rerun of',
          h('dd', {}, h('a', {href: `/jobs/${q(job.rerunOf)}`, id: 'job-rerun-of'}, job.rerunOf))] : null,
        ['Id', h('dd', {class: 'mono'}, job.id)],
      ])),
    tagPanel('job', job.id, job.projectId));
  update(job);

  await Promise.all([log.load().catch((error) => log.element.append(errorBox(error))), loadOutputs()]);
  pollUsage();
  loadModels(12);
  if (ended) return;
  ticker = setInterval(tick, 1000);
  log.start();
  follow(() => `/api/compute/v1/jobs/${q(job.id)}/events`, {
    job: (next) => {
      update(next);
      if (isEnded(next.state)) onEnded();
    },
  }, {onEnd: onEnded});
}
