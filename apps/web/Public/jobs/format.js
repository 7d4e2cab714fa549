// How the jobs pages show a job's parts: state badge, resources, progress, durations, bytes.
import {formatDuration, h} from '../dom.js';

export const JOB_STATES = ['queued', 'scheduled', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'];

export function isEnded(state) {
  return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(state);
}

/** A state badge whose class and data-state follow the job (`job-state ended` etc. in jobs.css). */
export function stateBadge(state, attributes = {}) {
  return h('span', {...attributes, class: `job-state ${state || ''}`, dataset: {state: state || ''}}, state || '');
}

export function setStateBadge(badge, state) {
  badge.className = `job-state ${state || ''}`;
  badge.dataset.state = state || '';
  badge.textContent = state || '';
}

/** `0.5 CPU · 256 MB · 1 GPU · 10 GB disk` */
export function resourcesText(resources) {
  if (!resources) return '';
  const parts = [];
  if (resources.cpus !== undefined) parts.push(`${resources.cpus} CPU`);
  if (resources.memoryMB !== undefined) parts.push(`${megabytes(resources.memoryMB)} memory`);
  if (resources.gpus) parts.push(`${resources.gpus} GPU`);
  if (resources.diskMB !== undefined) parts.push(`${megabytes(resources.diskMB)} disk`);
  return parts.join(' · ');
}

function megabytes(value) {
  return value >= 1024 && value % 1024 === 0 ? `${value / 1024} GB` : `${value} MB`;
}

export function bytesText(bytes) {
  if (bytes === undefined || bytes === null) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** How long it waited to start (until now while it waits), and how long it ran (until now while it runs). */
export function queuedFor(job) {
  return formatDuration(job.createdAt, job.startedAt || job.endedAt);
}

export function ranFor(job) {
  return job.startedAt ? formatDuration(job.startedAt, job.endedAt) : '';
}

/** `failed (exit_code 3)`: why it ended, with the exit code when there is one. */
export function reasonText(job) {
  const parts = [];
  // `exit_code` says no more than the code itself.
  if (job.reason && job.reason !== job.state && job.reason !== 'exit_code') parts.push(job.reason.replace(/_/g, ' '));
  if (job.exitCode !== undefined && job.exitCode !== null) parts.push(`exit code ${job.exitCode}`);
  return parts.join(', ');
}

/**
 * When a terminal session ends (its `endpoint.idleSeconds`, compute's default 3600):
 * `ends after 60 min without input or output`.
 */
export function idleText(endpoint) {
  const seconds = endpoint?.idleSeconds ?? 3600;
  const minutes = seconds / 60;
  return `ends after ${Number.isInteger(minutes) ? `${minutes} min` : `${seconds} s`} without input or output`;
}

/** argv as a shell would take it back: words with spaces or quotes in single quotes. */
export function commandText(argv) {
  return (argv || []).map((word) => /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word
    : `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
}

/** A <progress> of the job's 0–1 progress. */
export function progressBar(job, attributes = {}) {
  return h('progress', {...attributes, max: 1, value: job.progress || 0, class: 'job-progress'});
}
