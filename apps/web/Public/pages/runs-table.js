// A project's runs table. Its whole state — filter, order, columns, experiment, page — lives
// in the URL's query, so a link shows a colleague the same view. Search runs on the server
// (POST /v1/runs/search), whose filter language and keyset paging stay fast at 100k runs.
import {api, ApiError} from '../api.js';
import {errorBox, fill, formatDuration, formatTime, formatValue, h} from '../dom.js';
import {formatMetric} from '../chart.js';

const fixedColumns = [
  {id: 'name', label: 'Name', sort: 'name'},
  {id: 'status', label: 'Status', sort: 'status'},
  {id: 'start', label: 'Start', sort: 'startTime'},
  // The search API cannot order by a duration: this column sorts the rows of the page shown.
  {id: 'duration', label: 'Duration', sort: null},
  {id: 'user', label: 'User', sort: 'user'},
];

function readState() {
  const query = new URLSearchParams(location.search);
  return {
    filter: query.get('filter') || '',
    order: query.get('order') || 'startTime desc',
    cols: (query.get('cols') || '').split(',').map((c) => c.trim()).filter(Boolean),
    experiment: query.get('experiment') || '',
    pageToken: query.get('pageToken') || '',
    limit: Math.min(1000, Math.max(1, Number(query.get('limit')) || 25)),
  };
}

function writeState(state, push) {
  const query = new URLSearchParams();
  if (state.filter) query.set('filter', state.filter);
  if (state.order !== 'startTime desc') query.set('order', state.order);
  if (state.cols.length) query.set('cols', state.cols.join(','));
  if (state.experiment) query.set('experiment', state.experiment);
  if (state.pageToken) query.set('pageToken', state.pageToken);
  if (state.limit !== 25) query.set('limit', String(state.limit));
  const url = location.pathname + (query.toString() ? '?' + query : '');
  if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
}

function cell(run, column) {
  if (column.startsWith('params.')) return formatValue(run.params?.[column.slice(7)]);
  if (column.startsWith('metrics.')) return formatMetric(run.metrics?.[column.slice(8)]);
  if (column.startsWith('tags.')) return formatValue(run.tags?.[column.slice(5)]);
  return '';
}

/** The filter with the character at the server's 1-based `position` marked. */
function filterError(error, filter) {
  const at = Math.max(0, (error.position || 1) - 1);
  return h('div', {id: 'filter-error', class: 'error', role: 'alert', dataset: {position: error.position || ''}},
    h('div', {}, `Filter error at position ${error.position}: ${error.message}`),
    h('code', {class: 'filter-echo'}, filter.slice(0, at), h('mark', {}, filter.slice(at, at + 1) || ' '),
      filter.slice(at + 1)));
}

export async function runsTable(projectId, experiments) {
  let state = readState();
  const selected = new Set();
  let rows = [];
  let durationDirection = 0;
  const message = h('div', {id: 'runs-message'});
  const table = h('div', {id: 'runs', class: 'scroll'});
  const pager = h('div', {class: 'row', id: 'pager'});
  const filter = h('input', {id: 'filter', name: 'filter', class: 'wide', value: state.filter,
    placeholder: 'metrics.accuracy > 0.9 and (params.optimizer = "adam" or params.lr < 0.01)'});
  const columns = h('input', {id: 'columns', name: 'cols', value: state.cols.join(', '),
    placeholder: 'params.lr, metrics.loss'});
  const experiment = h('select', {id: 'experiment'}, h('option', {value: ''}, 'All experiments'),
    experiments.map((e) => h('option', {value: e.id, selected: e.id === state.experiment}, e.name)));
  const compare = h('button', {type: 'button', id: 'compare', disabled: true, onclick: () => {
    location.assign('/compare?runs=' + [...selected].join(','));
  }}, 'Compare');
  const available = h('div', {class: 'keys', id: 'available-columns'});

  function updateCompare() {
    compare.disabled = selected.size < 2 || selected.size > 50;
    compare.textContent = `Compare (${selected.size})`;
  }

  function sortBy(field) {
    const [current, direction] = state.order.split(' ');
    const next = current === field ? (direction === 'asc' ? 'desc' : 'asc') : (field === 'name' ? 'asc' : 'desc');
    state = {...state, order: `${field} ${next}`, pageToken: ''};
    durationDirection = 0;
    writeState(state, true);
    load();
  }

  function header() {
    const [current, direction] = state.order.split(' ');
    const arrow = (field) => (field === current ? (direction === 'asc' ? ' ▲' : ' ▼') : '');
    return h('thead', {}, h('tr', {},
      h('th', {}, ''),
      fixedColumns.map((column) => h('th', {},
        h('button', {type: 'button', class: 'sort', dataset: {sort: column.sort || 'duration'}, onclick: () => {
          if (column.sort) return sortBy(column.sort);
          durationDirection = durationDirection === 1 ? -1 : 1;
          render();
        }}, column.label + (column.sort ? arrow(column.sort)
          : durationDirection ? (durationDirection === 1 ? ' ▲' : ' ▼') : '')))),
      state.cols.map((column) => h('th', {},
        h('button', {type: 'button', class: 'sort', dataset: {sort: column}, onclick: () => sortBy(column)},
          column + arrow(column))))));
  }

  function render() {
    let shown = rows;
    if (durationDirection) {
      const length = (run) => (new Date(run.endTime || Date.now()) - new Date(run.startTime));
      shown = [...rows].sort((a, b) => durationDirection * (length(a) - length(b)));
    }
    fill(table, h('table', {class: 'grid', id: 'runs-table'}, header(),
      h('tbody', {}, shown.map((run) => h('tr', {dataset: {id: run.id}},
        h('td', {}, h('input', {type: 'checkbox', class: 'select-run', 'aria-label': 'select for compare',
          checked: selected.has(run.id), onchange: (event) => {
            if (event.target.checked) selected.add(run.id); else selected.delete(run.id);
            updateCompare();
          }})),
        h('td', {}, h('a', {href: `/runs/${run.id}`, class: 'run-link'}, run.name || run.id)),
        h('td', {}, h('span', {class: `status ${run.status}`}, run.status)),
        h('td', {}, formatTime(run.startTime)),
        h('td', {}, formatDuration(run.startTime, run.endTime)),
        h('td', {class: 'mono'}, (run.createdBy || '').slice(-8)),
        state.cols.map((column) => h('td', {class: 'num'}, cell(run, column))))))));
    const keys = new Set();
    for (const run of rows) {
      for (const key of Object.keys(run.params || {})) keys.add('params.' + key);
      for (const key of Object.keys(run.metrics || {})) keys.add('metrics.' + key);
    }
    fill(available, [...keys].filter((key) => !state.cols.includes(key)).sort().map((key) =>
      h('button', {type: 'button', class: 'chip', dataset: {column: key}, onclick: () => {
        state = {...state, cols: [...state.cols, key]};
        columns.value = state.cols.join(', ');
        writeState(state, true);
        render();
      }}, '+ ' + key)));
  }

  async function load() {
    fill(message);
    const body = {projectId, filter: state.filter || undefined, orderBy: [state.order], limit: state.limit};
    if (state.experiment) body.experimentIds = [state.experiment];
    if (state.pageToken) body.pageToken = state.pageToken;
    try {
      const answer = await api('POST', '/data/v1/runs/search', body);
      rows = answer.items;
      render();
      // A later page (sort, filter, paging) is on the page now; the first one is marked by its page.
      if (table.isConnected) performance.mark('runs-table-rendered');
      table.dataset.count = String(rows.length);
      fill(pager,
        state.pageToken ? h('button', {type: 'button', id: 'first-page', onclick: () => {
          state = {...state, pageToken: ''};
          writeState(state, true);
          load();
        }}, '« First page') : null,
        h('span', {class: 'muted'}, `${rows.length} runs on this page`),
        answer.nextPageToken ? h('button', {type: 'button', id: 'next-page', onclick: () => {
          state = {...state, pageToken: answer.nextPageToken};
          writeState(state, true);
          load();
        }}, 'Next page »') : null);
    } catch (error) {
      rows = [];
      fill(table);
      fill(pager);
      fill(message, error instanceof ApiError && error.field === 'filter' ? filterError(error, state.filter)
        : errorBox(error));
    }
  }

  window.addEventListener('popstate', () => {
    state = readState();
    filter.value = state.filter;
    columns.value = state.cols.join(', ');
    load();
  });

  const section = h('section', {class: 'card', id: 'runs-section'},
    h('h2', {}, 'Runs'),
    h('form', {class: 'row', id: 'search', onsubmit: (event) => {
      event.preventDefault();
      state = {
        ...state, filter: filter.value.trim(), pageToken: '', experiment: experiment.value,
        cols: columns.value.split(',').map((c) => c.trim()).filter(Boolean),
      };
      writeState(state, true);
      load();
    }}, filter, experiment, h('button', {type: 'submit', id: 'search-button'}, 'Search')),
    h('div', {class: 'row'}, h('label', {}, 'Columns ', columns), available),
    message, table, h('div', {class: 'row'}, pager, compare));
  updateCompare();
  await load();
  return section;
}
