// Small pieces the nodes and templates pages share: sizes, CPU counts, ages and bars.
import {h} from '../dom.js';

/** 2048 → '2 GB', 512 → '512 MB' (MB as compute counts them: MiB). */
export function formatMB(megabytes) {
  if (megabytes === undefined || megabytes === null) return '';
  if (megabytes >= 1024 * 1024) return `${trim(megabytes / (1024 * 1024))} TB`;
  if (megabytes >= 1024) return `${trim(megabytes / 1024)} GB`;
  return `${trim(megabytes)} MB`;
}

export function formatBytes(bytes) {
  if (bytes === undefined || bytes === null) return '';
  return formatMB(bytes / (1024 * 1024));
}

/** CPUs with at most two decimals: 0.5, 1.25, 2. */
export function formatCpus(cpus) {
  if (cpus === undefined || cpus === null) return '';
  return trim(cpus);
}

function trim(number) {
  return String(Number(Number(number).toFixed(2)));
}

/** '3 s ago', '4 min ago', '2 h ago' — how old a heartbeat is. */
export function ago(time, now = Date.now()) {
  if (!time) return '';
  const seconds = Math.max(0, Math.round((now - new Date(time)) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

/**
 * A labelled bar of `used` out of `total`: bar('CPUs allocated', 0.5, 2, formatCpus). The
 * element carries its numbers (`data-used`, `data-total`) for tests; a bar past 90% is marked.
 */
export function bar(label, used, total, format = String, attributes = {}) {
  const fraction = total > 0 ? Math.min(1, Math.max(0, used / total)) : 0;
  const level = fraction >= 0.9 ? 'full' : fraction >= 0.6 ? 'busy' : 'ok';
  return h('div', {class: 'bar-row', ...attributes, dataset: {used, total, ...(attributes.dataset || {})}},
    h('span', {class: 'bar-label'}, label),
    h('span', {class: 'bar', role: 'meter', 'aria-label': label, 'aria-valuemin': 0,
      'aria-valuemax': total, 'aria-valuenow': used},
    h('span', {class: `bar-fill ${level}`, style: `width: ${(fraction * 100).toFixed(1)}%`})),
    h('span', {class: 'bar-text'}, `${format(used)} / ${format(total)}`));
}

/** Resources as one line: '1 CPU · 2 GB · 0 GPUs · 10 GB disk'. */
export function formatResources(resources) {
  if (!resources) return '';
  const parts = [];
  if (resources.cpus !== undefined) parts.push(`${formatCpus(resources.cpus)} CPU${resources.cpus === 1 ? '' : 's'}`);
  if (resources.memoryMB !== undefined) parts.push(formatMB(resources.memoryMB));
  if (resources.gpus !== undefined) {
    const count = Array.isArray(resources.gpus) ? resources.gpus.length : resources.gpus;
    parts.push(`${count} GPU${count === 1 ? '' : 's'}`);
  }
  if (resources.diskMB !== undefined && resources.diskMB !== null) parts.push(`${formatMB(resources.diskMB)} disk`);
  return parts.join(' · ');
}
