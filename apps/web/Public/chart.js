// A chart of one metric key, drawn with dygraphs (Debian's libjs-dygraphs, window.Dygraph).
// It starts from the downsampled view — at most `buckets` buckets, each with its exact min,
// max and last value — so a 1M-point series costs one small answer. Zooming into a step range
// turns it into a range of point indexes (each bucket says which points it holds: `start`,
// `count`) and fetches that range again at finer resolution (`from`, `to`), down to the exact
// points (history pages by point index) once the range holds fewer points than a view's
// buckets. The container's data attributes say what is drawn (points, source, fetches, the
// index range) for tests.
import {api, q} from './api.js';
import {fill, formatValue, h} from './dom.js';

const BUCKETS = 500;

/** Dygraphs writes series labels into its legend as HTML; user-written names go in escaped. */
function escaped(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
/** The most points a time axis draws (history's page size). */
const EXACT_POINTS = 25000;

// A NaN value arrives as null (JSON has no NaN): a row without a value, which dygraphs draws
// as a gap in the line. A bucket whose last value is NaN is a gap too, whatever its band.
function bucketRows(view) {
  // customBars: [x, [low, value, high]] draws the bucket's min–max band around its last value.
  return view.items.map((b) => [(b.firstStep + b.lastStep) / 2, b.last === null ? null : [b.min, b.last, b.max]]);
}

function pointRows(points, axis) {
  return points.map((p) => [axis === 'time' ? new Date(p.timestamp) : p.step,
    p.value === null ? null : [p.value, p.value, p.value]]);
}

/** A metric's value as text: null is a NaN the run logged, absent is nothing logged. */
export function formatMetric(value) {
  return value === null ? 'NaN' : formatValue(value);
}

export function metricChart(runId, key, {axis = 'step', logScale = false, label} = {}) {
  const plot = h('div', {class: 'plot'});
  const status = h('div', {class: 'chart-status muted'});
  const box = h('figure', {class: 'chart', dataset: {key, points: 0, fetches: 0, source: ''}},
    h('figcaption', {}, label || key), plot, status);
  let graph = null;
  let view = null;

  function draw(rows, source, note) {
    box.dataset.points = String(rows.length);
    box.dataset.source = source;
    box.dataset.fetches = String(Number(box.dataset.fetches) + 1);
    fill(status, note);
    const options = {
      labels: [axis === 'time' ? 'time' : 'step', escaped(key)], customBars: true, logscale: logScale,
      drawPoints: rows.length < 200, pointSize: rows.length < 20 ? 4 : 2, strokeWidth: 1.5, legend: 'follow',
      animatedZooms: false, axisLabelWidth: 64, zoomCallback: (minX, maxX, yRanges) => zoom(minX, maxX),
    };
    if (rows.length === 1 && rows[0][1] !== null) {
      // One point spans no x range: give it one, or dygraphs has nowhere to draw it.
      const x = Number(rows[0][0]);
      const [low, , high] = rows[0][1];
      options.dateWindow = axis === 'time' ? [x - 60000, x + 60000] : [x - 1, x + 1];
      options.valueRange = logScale && low > 0 ? [low / 2, high * 2]
        : [low - Math.abs(low) * 0.1 - 1, high + Math.abs(high) * 0.1 + 1];
    }
    if (graph) graph.updateOptions({file: rows, ...options}, false);
    else graph = new window.Dygraph(plot, rows, options);
    // `make bench` times a chart from navigation (or from its zoom) to this mark.
    performance.mark(`chart-drawn:${key}`);
  }

  async function history(after, limit) {
    const answer = await api('GET',
      `/data/v1/runs/${runId}/metrics/history?key=${q(key)}&after=${after}&limit=${limit}`);
    return answer.items;
  }

  async function load() {
    view = await api('GET', `/data/v1/runs/${runId}/metrics/downsampled?key=${q(key)}&buckets=${BUCKETS}`);
    box.dataset.count = String(view.count);
    if (axis === 'time') {
      // Buckets carry steps, not times: a time axis needs the points themselves.
      const points = await history(0, Math.min(view.count, EXACT_POINTS));
      draw(pointRows(points, 'time'), 'points',
        view.count > EXACT_POINTS ? `first ${EXACT_POINTS} of ${view.count} points` : `${points.length} points`);
    } else {
      draw(bucketRows(view), view.bucketWidth > 1 ? 'buckets' : 'points',
        `${view.items.length} buckets of ${view.bucketWidth} from ${view.count} points`);
    }
  }

  async function zoom(minX, maxX) {
    if (!view || axis === 'time') return;
    box.dataset.rangeFrom = String(minX);
    box.dataset.rangeTo = String(maxX);
    if (graph && graph.isZoomed && !graph.isZoomed()) {
      // Reset (double click): back to the overview.
      return load();
    }
    // Exact points already drawn hold everything a narrower window shows.
    if (view.exact) return;
    const inRange = view.items.filter((b) => b.lastStep >= minX && b.firstStep <= maxX);
    if (inRange.length === 0) return;
    const from = inRange[0].start;
    const last = inRange[inRange.length - 1];
    const to = last.start + last.count;
    box.dataset.indexFrom = String(from);
    box.dataset.indexTo = String(to);
    if (to - from < BUCKETS) {
      // Fewer points than buckets: the points themselves.
      const points = (await history(from, to - from)).filter((p) => p.step >= minX && p.step <= maxX);
      view = {...view, exact: true};
      draw(pointRows(points, 'step'), 'points',
        `${points.length} exact points in steps ${Math.round(minX)}–${Math.round(maxX)}`);
    } else {
      const fine = await api('GET',
        `/data/v1/runs/${runId}/metrics/downsampled?key=${q(key)}&buckets=${BUCKETS}&from=${from}&to=${to}`);
      view = fine;
      draw(bucketRows(fine), fine.bucketWidth > 1 ? 'buckets' : 'points',
        `${fine.items.length} buckets of ${fine.bucketWidth} from points ${from}–${to - 1}`);
    }
    graph.updateOptions({dateWindow: [minX, maxX]}, false);
  }

  // Dygraphs measures its element, so drawing starts once the chart is on the page.
  box.start = () => (box.ready = box.ready || load().catch((error) => fill(status, error.message)));
  /** For tests: the dygraphs chart (its plot area and where it placed a value). */
  box.graph = () => graph;
  /** For tests and keyboard users: zoom to a step range as a drag would. */
  box.zoomTo = (minX, maxX) => {
    graph.updateOptions({dateWindow: [minX, maxX]});
    return zoom(minX, maxX);
  };
  return box;
}

/** Several runs' series of one key on one chart (compare), from each run's downsampled view. */
export async function overlayChart(runs, key, {logScale = false} = {}) {
  const plot = h('div', {class: 'plot'});
  const box = h('figure', {class: 'chart', dataset: {key, points: 0}}, h('figcaption', {}, key), plot);
  const views = await Promise.all(runs.map((run) =>
    api('GET', `/data/v1/runs/${run.id}/metrics/downsampled?key=${q(key)}&buckets=${BUCKETS}`)));
  // One row per distinct step; runs without a value there leave a gap (null).
  const byStep = new Map();
  views.forEach((view, index) => {
    for (const b of view.items) {
      const x = (b.firstStep + b.lastStep) / 2;
      if (!byStep.has(x)) byStep.set(x, new Array(runs.length).fill(null));
      byStep.get(x)[index] = b.last;
    }
  });
  const rows = [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([x, values]) => [x, ...values]);
  box.dataset.points = String(views.reduce((sum, view) => sum + view.items.length, 0));
  box.start = () => (box.ready = Promise.resolve().then(() => {
    if (rows.length) {
      new window.Dygraph(plot, rows, {
        labels: ['step', ...runs.map((run) => escaped(run.name || run.id))], logscale: logScale, connectSeparatedPoints: true,
        legend: 'always', strokeWidth: 1.5, drawPoints: rows.length < 200, pointSize: 3, axisLabelWidth: 64,
        // One step (runs that each logged one point) spans no x range: give it one.
        ...(rows.length === 1 ? {dateWindow: [rows[0][0] - 1, rows[0][0] + 1]} : {}),
      });
    }
  }));
  return box;
}

/** Starts every chart under `element` that has not started; resolves when all are drawn. */
export function startCharts(element) {
  return Promise.all([...element.querySelectorAll('.chart')].map((chart) => chart.start()));
}
