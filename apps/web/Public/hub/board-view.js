// The hub's leaderboards view (`/hub?view=leaderboard&metric=&task=&order=`): every visible
// version with the metric, ranked, for one task or all. The metric box suggests the metric keys
// of the most deployed versions (the hub has no list of metric keys to ask).
import {api, q} from '../api.js';
import {errorBox, h} from '../dom.js';
import {leaderboardTable, lowerIsBetterFor} from './leaderboard.js';

async function knownMetrics(task) {
  try {
    const answer = await api('GET', '/mlhub/v1/search?facets=false&order=popular&limit=100' +
      (task ? `&task=${q(task)}` : ''));
    return [...new Set(answer.items.flatMap((version) => Object.keys(version.metrics || {})))].sort();
  } catch (error) {
    return [];
  }
}

export async function leaderboardView(query) {
  const metric = query.get('metric') || '';
  const task = query.get('task') || '';
  const order = query.get('order') === 'asc' || query.get('order') === 'desc' ? query.get('order')
    : (lowerIsBetterFor(metric) ? 'asc' : 'desc');
  const metricInput = h('input', {id: 'board-metric', name: 'metric', required: true, value: metric,
    list: 'board-metrics', placeholder: 'metric, e.g. accuracy', 'aria-label': 'Metric'});
  const taskInput = h('input', {id: 'board-task', name: 'task', value: task, placeholder: 'task (any)',
    'aria-label': 'Task'});
  const orderSelect = h('select', {id: 'board-order', name: 'order', 'aria-label': 'Order'},
    h('option', {value: 'desc', selected: order === 'desc'}, 'higher is better'),
    h('option', {value: 'asc', selected: order === 'asc'}, 'lower is better'));
  let table = h('p', {class: 'muted'}, 'Name a metric to rank the versions that have it.');
  if (metric) {
    try {
      table = await leaderboardTable({metric, order, task});
    } catch (error) {
      table = errorBox(error);
    }
  }
  return h('section', {id: 'hub-leaderboard'},
    h('form', {class: 'row', id: 'board-form', onsubmit: (event) => {
      event.preventDefault();
      const next = new URLSearchParams({view: 'leaderboard', metric: metricInput.value.trim()});
      if (taskInput.value.trim()) next.set('task', taskInput.value.trim());
      next.set('order', orderSelect.value);
      location.assign('/hub?' + next.toString());
    }}, h('label', {class: 'board-field'}, 'Metric ', metricInput), h('datalist', {id: 'board-metrics'},
      (await knownMetrics(task)).map((key) => h('option', {value: key}))),
    h('label', {class: 'board-field'}, 'Task ', taskInput), orderSelect, h('button', {type: 'submit', id: 'board-submit'}, 'Rank')),
    h('div', {class: 'card scroll'}, table));
}
