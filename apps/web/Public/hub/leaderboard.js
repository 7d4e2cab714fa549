// The leaderboard of the model's task for one metric, this model's versions marked: pick the
// metric among the shown version's own and the order (higher or lower is better).
import {api, q} from '../api.js';
import {fill, formatValue, h} from '../dom.js';

// Metrics where lower is better start in ascending order; the reader can flip it.
const lowerIsBetter = /loss|error|err$|mse|mae|rmse|perplexity|latency|time/i;

/** Whether lower values of `metric` are better, going by its name (a loss, an error). */
export function lowerIsBetterFor(metric) {
  return lowerIsBetter.test(metric);
}

/**
 * The hub's leaderboard for `metric` (of `task`, when given) as a table; the versions of
 * `mark.modelId` get the class `mine`, `mark.versionId` the class `current`.
 */
export async function leaderboardTable({metric, order, task}, mark = {}) {
  const query = `metric=${q(metric)}&order=${order}&limit=50` + (task ? `&task=${q(task)}` : '');
  const board = await api('GET', `/mlhub/v1/leaderboards?${query}`);
  return h('div', {},
    board.items.length === 0 ? h('p', {class: 'muted', id: 'leaderboard-empty'}, 'No ranked versions.') :
      h('table', {class: 'grid', id: 'leaderboard-table', dataset: {metric}},
        h('thead', {}, h('tr', {}, ['Rank', 'Model', 'Version', 'Stage', metric].map((title) => h('th', {}, title)))),
        h('tbody', {}, board.items.map((entry) => h('tr', {
          class: [entry.modelId === mark.modelId ? 'mine' : '', entry.id === mark.versionId ? 'current' : '']
            .filter(Boolean).join(' ') || null,
          dataset: {versionId: entry.id, modelId: entry.modelId, rank: entry.rank}},
        h('td', {class: 'num'}, String(entry.rank)),
        h('td', {}, h('a', {href: `/models/${q(entry.modelId)}?version=${entry.number}`}, entry.name)),
        h('td', {}, entry.label ? `v${entry.number} (${entry.label})` : `v${entry.number}`),
        h('td', {}, entry.stage || ''),
        h('td', {class: 'num'}, formatValue(entry.value)))))),
    board.missingMetric ? h('p', {class: 'muted'}, `${board.missingMetric} versions lack ${metric}.`) : null);
}

export function leaderboardPanel(model, version) {
  const metrics = Object.keys(version.metrics || {}).sort();
  const box = h('div', {id: 'leaderboard'});
  if (metrics.length === 0) {
    return fill(box, h('p', {class: 'muted'}, 'This version has no metrics to rank by.'));
  }
  const metric = h('select', {id: 'leaderboard-metric', 'aria-label': 'Metric'},
    metrics.map((key) => h('option', {value: key}, key)));
  const order = h('select', {id: 'leaderboard-order', 'aria-label': 'Order'},
    h('option', {value: 'desc'}, 'higher is better'), h('option', {value: 'asc'}, 'lower is better'));
  order.value = lowerIsBetter.test(metrics[0]) ? 'asc' : 'desc';
  const table = h('div', {class: 'scroll'});

  async function draw() {
    try {
      fill(table, await leaderboardTable({metric: metric.value, order: order.value, task: model.task},
        {modelId: model.id, versionId: version.id}));
    } catch (error) {
      fill(table, h('p', {class: 'error'}, error.message));
    }
  }
  metric.addEventListener('change', () => {
    order.value = lowerIsBetter.test(metric.value) ? 'asc' : 'desc';
    draw();
  });
  order.addEventListener('change', draw);
  fill(box, h('p', {class: 'row'}, 'Ranked by ', metric, order,
    model.task ? h('span', {class: 'muted'}, ` among ${model.task} models`) : null), table);
  box.loaded = draw();
  return box;
}
