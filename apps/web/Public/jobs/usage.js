// A job's measured usage over the history compute keeps (one sample per heartbeat, the last 15
// minutes): CPU in cores (the difference of two cumulative cpuSeconds samples over the time
// between them), memory and pids, each a small dygraphs chart, plus the peak memory. dygraphs
// because the run page already draws with it: the same hover legend and zoom, no second way of
// drawing charts. Labels are fixed words, so nothing a user wrote reaches its HTML legend.
import {api, q} from '../api.js';
import {fill, h} from '../dom.js';
import {bytesText} from './format.js';

const SERIES = [
  {kind: 'cpu', title: 'CPU (cores)', label: 'cores'},
  {kind: 'memory', title: 'Memory (MiB)', label: 'MiB'},
  {kind: 'pids', title: 'Processes', label: 'pids'},
];

/** Rows of [seconds since `start`, value]: seconds read better than clock times a second apart. */
function rows(history, kind, start) {
  const samples = history.map((sample) => ({...sample, time: (new Date(sample.at) - start) / 1000}));
  if (kind === 'cpu') {
    const out = [];
    for (let i = 1; i < samples.length; i += 1) {
      const seconds = samples[i].time - samples[i - 1].time;
      if (seconds <= 0) continue;
      out.push([samples[i].time, Math.max(0, (samples[i].cpuSeconds - samples[i - 1].cpuSeconds) / seconds)]);
    }
    return out;
  }
  if (kind === 'memory') return samples.map((sample) => [sample.time, sample.memoryBytes / 1048576]);
  return samples.map((sample) => [sample.time, sample.pids]);
}

const number = (value) => String(Number(value.toPrecision(3)));

/**
 * {element, refresh()}: refresh() reads the usage and redraws; call it once the element is on
 * the page. `startedAt()` is the job's start (the x axis counts seconds from it).
 */
export function usagePanel(jobId, startedAt = () => null) {
  const peak = h('p', {id: 'job-peak-memory', class: 'muted'});
  const charts = SERIES.map((series) => {
    const plot = h('div', {class: 'usage-plot'});
    const element = h('figure', {class: 'usage-chart', dataset: {kind: series.kind, points: 0}},
      h('figcaption', {}, series.title), plot);
    return {...series, element, plot, graph: null};
  });
  const element = h('div', {id: 'job-usage'}, peak, h('div', {class: 'usage-charts'}, charts.map((c) => c.element)));

  async function refresh() {
    const usage = await api('GET', `/compute/v1/jobs/${q(jobId)}/usage`);
    const history = usage.history || [];
    const start = new Date(startedAt() || history[0]?.at || Date.now());
    fill(peak, usage.peakMemoryBytes ? `Peak memory ${bytesText(usage.peakMemoryBytes)}` : '',
      usage.current ? ` · now ${bytesText(usage.current.memoryBytes)}, ${usage.current.pids} processes` : '');
    for (const chart of charts) {
      const data = rows(history, chart.kind, start);
      chart.element.dataset.points = String(data.length);
      if (data.length === 0) {
        chart.graph?.destroy();
        chart.graph = null;
        fill(chart.plot, h('p', {class: 'muted'}, 'No samples.'));
        continue;
      }
      const options = {
        labels: ['seconds', chart.label], drawPoints: data.length < 60, pointSize: 2, strokeWidth: 1.5,
        legend: 'follow', includeZero: true, animatedZooms: false, xlabel: 'seconds since start',
        axes: {
          x: {axisLabelFormatter: (value) => `${number(value)} s`, valueFormatter: (value) => `${number(value)} s`},
          y: {axisLabelWidth: 52, axisLabelFormatter: number, valueFormatter: number},
        },
      };
      if (chart.graph) {
        chart.graph.updateOptions({file: data, ...options});
      } else if (window.Dygraph) {
        fill(chart.plot);
        chart.graph = new window.Dygraph(chart.plot, data, options);
      }
    }
  }
  return {element, refresh};
}
