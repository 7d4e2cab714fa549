// Compare 2–50 runs: their metrics overlaid, params and metrics side by side with the
// differences marked, and a scatter of one param against one metric.
import {api} from '../api.js';
import {fill, formatValue, h} from '../dom.js';
import {formatMetric, overlayChart, startCharts} from '../chart.js';

function differs(values) {
  return new Set(values.map((value) => JSON.stringify(value ?? null))).size > 1;
}

function sideBySide(runs) {
  const keys = (field) => [...new Set(runs.flatMap((run) => Object.keys(run[field] || {})))].sort();
  const rows = (field) => keys(field).map((key) => {
    const values = runs.map((run) => run[field]?.[key]);
    return h('tr', {class: differs(values) ? 'differs' : '', dataset: {key: `${field}.${key}`}},
      h('th', {}, `${field}.${key}`),
      values.map((value) => h('td', {class: 'num'}, field === 'metrics' ? formatMetric(value) : formatValue(value))));
  });
  return h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'compare-table'},
    h('thead', {}, h('tr', {}, h('th', {}, ''), runs.map((run) =>
      h('th', {}, h('a', {href: `/runs/${run.id}`}, run.name || run.id))))),
    h('tbody', {}, rows('params'), rows('metrics'))));
}

function scatter(runs) {
  const params = [...new Set(runs.flatMap((run) => Object.keys(run.params || {})))].sort();
  const metrics = [...new Set(runs.flatMap((run) => Object.keys(run.metrics || {})))].sort();
  const param = h('select', {id: 'scatter-param'}, params.map((key) => h('option', {value: key}, key)));
  const metric = h('select', {id: 'scatter-metric'}, metrics.map((key) => h('option', {value: key}, key)));
  const plot = h('div', {class: 'plot'});
  const note = h('p', {class: 'muted'});
  const box = h('figure', {class: 'scatter', id: 'scatter', dataset: {points: 0}}, plot, note);
  function draw() {
    const points = runs.map((run) => [Number(run.params?.[param.value]), run.metrics?.[metric.value]])
      .filter(([x, y]) => Number.isFinite(x) && typeof y === 'number').sort((a, b) => a[0] - b[0]);
    box.dataset.points = String(points.length);
    fill(note, `${points.length} of ${runs.length} runs have a numeric ${param.value} and ${metric.value}`);
    fill(plot);
    if (points.length && window.Dygraph) {
      new window.Dygraph(plot, points, {labels: ['param', 'metric'], drawPoints: true, strokeWidth: 0,
        pointSize: 4, xlabel: param.value, ylabel: metric.value});
    }
  }
  param.addEventListener('change', draw);
  metric.addEventListener('change', draw);
  box.draw = draw;
  return h('div', {}, h('div', {class: 'row'}, h('label', {}, 'param ', param), h('label', {}, 'metric ', metric)),
    box);
}

export async function comparePage(main) {
  const ids = (new URLSearchParams(location.search).get('runs') || '').split(',').filter(Boolean);
  if (ids.length < 2 || ids.length > 50) {
    fill(main, h('h1', {}, 'Compare runs'), h('p', {class: 'error'}, 'Pick 2 to 50 runs in a runs table.'));
    return;
  }
  const runs = await Promise.all(ids.map((id) => api('GET', `/data/v1/runs/${id}`)));
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.metrics || {})))].sort();
  const charts = await Promise.all(keys.map((key) => overlayChart(runs.filter((run) => key in (run.metrics || {})), key)));
  const scatterView = scatter(runs);
  fill(main,
    h('h1', {}, `Compare ${runs.length} runs`),
    h('section', {class: 'card'}, h('h2', {}, 'Params and metrics'), h('p', {class: 'muted'}, 'Rows that differ are marked.'),
      sideBySide(runs)),
    h('section', {class: 'card'}, h('h2', {}, 'Metrics'), h('div', {class: 'charts', id: 'charts'}, charts)),
    h('section', {class: 'card'}, h('h2', {}, 'Param against metric'), scatterView));
  await startCharts(main);
  main.querySelector('#scatter').draw();
}
