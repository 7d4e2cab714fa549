// Jobs, newest first: a project's (any of the caller's projects, chosen in a select) or, with no
// project, the caller's own; filtered by state, queue and owner. Every filter and the page
// (`after`, `limit`) is in the URL query, so a link shows a colleague the same view. Rows of
// jobs still waiting or running are read again every 10 s.
import {api, q} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';
import {
  JOB_STATES, isEnded, progressBar, queuedFor, ranFor, reasonText, resourcesText, stateBadge,
} from '../jobs/format.js';

const DEFAULT_LIMIT = 50;
/** How often the rows of jobs still queued or running are read again. */
const REFRESH_MS = 10000;

function query() {
  const search = new URLSearchParams(location.search);
  const get = (name) => (search.get(name) || '').trim();
  const limit = Math.min(500, Math.max(1, Number(get('limit')) || DEFAULT_LIMIT));
  return {projectId: get('projectId'), state: get('state'), queue: get('queue'), owner: get('owner'),
    after: get('after'), limit};
}

/** The same view with some filters changed (and paging reset unless `after` is given). */
function viewURL(filters, changes) {
  const merged = {...filters, after: '', ...changes};
  const search = new URLSearchParams();
  for (const name of ['projectId', 'state', 'queue', 'owner', 'after']) {
    if (merged[name]) search.set(name, merged[name]);
  }
  if (merged.limit && merged.limit !== DEFAULT_LIMIT) search.set('limit', String(merged.limit));
  const text = search.toString();
  return '/jobs' + (text ? `?${text}` : '');
}

function filtersForm(filters, projects, me) {
  const project = h('select', {id: 'jobs-project', name: 'projectId'},
    // Without a project the API answers the caller's own jobs, or every job for an administrator.
    h('option', {value: ''}, me?.role === 'admin' ? 'All jobs (administrator)' : 'My jobs (all projects)'),
    // A project the list does not hold (asked for by id in a link) is still the one shown.
    filters.projectId && !projects.some((p) => p.id === filters.projectId)
      ? h('option', {value: filters.projectId, selected: true}, filters.projectId) : null,
    projects.map((p) => h('option', {value: p.id, selected: p.id === filters.projectId}, p.name)));
  const state = h('select', {id: 'jobs-state', name: 'state'},
    h('option', {value: ''}, 'Any state'),
    JOB_STATES.map((name) => h('option', {value: name, selected: name === filters.state}, name)));
  const queue = h('input', {id: 'jobs-queue', name: 'queue', value: filters.queue, placeholder: 'any queue'});
  const owner = h('input', {id: 'jobs-owner', name: 'owner', value: filters.owner, placeholder: 'any owner (user id)'});
  const go = () => location.assign(viewURL(filters, {projectId: project.value, state: state.value,
    queue: queue.value.trim(), owner: owner.value.trim()}));
  // Selects apply at once; the text boxes on Enter or the button.
  project.addEventListener('change', go);
  state.addEventListener('change', go);
  const submit = (event) => {
    event.preventDefault();
    go();
  };
  return h('form', {class: 'jobs-filters', id: 'jobs-filters', onsubmit: submit},
    h('label', {}, 'Project', project), h('label', {}, 'State', state),
    h('label', {}, 'Queue', queue), h('label', {}, 'Owner', owner),
    h('button', {type: 'submit', id: 'jobs-apply'}, 'Apply'));
}

const COLUMNS = ['Job', 'State', 'Progress', 'Owner', 'Node', 'Resources', 'Queued / ran', 'Submitted'];

function jobRow(job, {me, projectNames, nodeNames}) {
  const cells = [
    [h('a', {href: `/jobs/${job.id}`, class: 'job-link'}, job.name || job.id),
      job.spec?.endpoint?.kind === 'terminal' ? [' ', h('a', {href: `/jobs/${job.id}/terminal`,
        class: 'job-terminal-link small'}, 'terminal')] : null,
      h('div', {class: 'muted small'}, projectNames.get(job.projectId) || '')],
    [stateBadge(job.state), reasonText(job) ? h('div', {class: 'muted small'}, reasonText(job)) : null],
    [progressBar(job), h('div', {class: 'muted small'},
      `${Math.round((job.progress || 0) * 100)}%`, job.progressMessage ? ` ${job.progressMessage}` : '')],
    job.owner === me?.id ? 'you' : h('span', {class: 'mono'}, job.owner),
    job.nodeId ? (nodeNames.get(job.nodeId) || job.nodeId) : '',
    [resourcesText(job.resources), h('div', {class: 'muted small'}, `queue ${job.queue || 'default'}`)],
    job.startedAt ? [`ran ${ranFor(job)}`, h('div', {class: 'muted small'}, `queued ${queuedFor(job)}`)]
      : `queued ${queuedFor(job)}`,
    formatTime(job.createdAt),
  ];
  // data-label names the cell where a phone shows each row as a block (jobs.css).
  return h('tr', {dataset: {jobId: job.id, state: job.state}},
    cells.map((content, index) => h('td', {dataset: {label: COLUMNS[index]}}, h('div', {}, content))));
}

export async function jobsPage(main, {me}) {
  const filters = query();
  const search = new URLSearchParams({limit: String(filters.limit)});
  for (const name of ['projectId', 'state', 'queue', 'owner', 'after']) {
    if (filters[name]) search.set(name, filters[name]);
  }
  // Names for ids: projects for the select and the rows, nodes for the node column. A list
  // that cannot be had only costs the names.
  const [answer, projects, nodes] = await Promise.all([
    api('GET', `/compute/v1/jobs?${search}`).catch((error) => ({error})),
    api('GET', '/data/v1/projects?limit=500').then((a) => a.items, () => []),
    api('GET', '/compute/v1/nodes').then((a) => a.items, () => []),
  ]);
  const projectNames = new Map(projects.map((p) => [p.id, p.name]));
  const nodeNames = new Map(nodes.map((n) => [n.id, n.name]));
  const submitProject = filters.projectId || projects[0]?.id || '';
  const body = answer.error ? errorBox(answer.error)
    : answer.items.length === 0 ? h('p', {class: 'muted', id: 'jobs-empty'}, 'No jobs here.')
      : h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'jobs-table'},
        h('thead', {}, h('tr', {}, COLUMNS.map((title) => h('th', {}, title)))),
        h('tbody', {}, answer.items.map((job) => jobRow(job, {me, projectNames, nodeNames})))));
  const paging = h('p', {class: 'row jobs-paging'},
    filters.after ? h('a', {href: viewURL(filters, {}), id: 'jobs-first'}, 'First page') : null,
    answer.nextAfter ? h('a', {href: viewURL(filters, {after: answer.nextAfter}), id: 'jobs-next'}, 'Next page')
      : null);
  fill(main,
    h('div', {class: 'row jobs-head'}, h('h1', {}, 'Jobs'),
      submitProject ? h('span', {class: 'row'},
        h('a', {href: `/jobs/new?projectId=${q(submitProject)}&kind=terminal`, id: 'jobs-terminal-link',
          class: 'button-link secondary'}, 'Open a terminal'),
        h('a', {href: `/jobs/new?projectId=${q(submitProject)}`, id: 'jobs-submit-link',
          class: 'button-link'}, 'Submit a job')) : null),
    filtersForm(filters, projects, me), body, paging);
  if (answer.error) return;
  performance.mark('jobs-table-rendered');
  keepCurrent(search, {me, projectNames, nodeNames});
}

/**
 * While a job shown is queued or running, reads the same page again every REFRESH_MS and
 * redraws those rows in place (the row elements stay; jobs submitted since show on reload).
 */
function keepCurrent(search, names) {
  const refresh = async () => {
    const rows = [...document.querySelectorAll('#jobs-table tr[data-job-id]')];
    if (!rows.some((row) => !isEnded(row.dataset.state))) return;
    if (!document.hidden) {
      try {
        const answer = await api('GET', `/compute/v1/jobs?${search}`);
        const byId = new Map(answer.items.map((job) => [job.id, job]));
        for (const row of rows) {
          const job = byId.get(row.dataset.jobId);
          if (!job) continue;
          const fresh = jobRow(job, names);
          row.dataset.state = job.state;
          row.replaceChildren(...fresh.children);
        }
      } catch (error) {
        // A failed refresh leaves the rows as they were; the next one tries again.
      }
    }
    setTimeout(refresh, REFRESH_MS);
  };
  setTimeout(refresh, REFRESH_MS);
}
