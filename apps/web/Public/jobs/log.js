// A job's log: the last lines at load (GET …/logs, paged from the start: the API pages in
// arrival order only), then each new line live from the server-sent stream (`?follow=true`,
// from the last id shown) until the job ends. Lines are text nodes: a line of markup shows as
// its characters.
import {api, q} from '../api.js';
import {h} from '../dom.js';
import {follow} from './stream.js';

/** The most lines kept on the page; older ones are dropped as new ones come. */
const KEPT_LINES = 5000;

/** A multi-worker job's line names the worker that printed it. */
export function rankLabel(entry) {
  return entry.rank === undefined || entry.rank === null ? '' : `[rank ${entry.rank}] `;
}

export function jobLog(jobId) {
  const box = h('pre', {class: 'logs job-log', id: 'job-log', tabindex: 0});
  const empty = h('p', {class: 'muted', id: 'job-log-empty'}, 'No log lines yet.');
  const element = h('div', {}, empty, box);
  let lastId = '';
  let stream = null;

  function append(entries) {
    // Stay at the bottom while the reader is there; leave them be when they scrolled up.
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    for (const entry of entries) {
      // Ids are UUIDv7 (arrival order): a line at or before the last one shown is a repeat.
      if (lastId && entry.id <= lastId) continue;
      lastId = entry.id;
      box.append(h('div', {class: `log-line ${entry.level || ''}`, title: entry.time || ''}, rankLabel(entry) + entry.message));
    }
    while (box.childElementCount > KEPT_LINES) box.firstElementChild.remove();
    empty.hidden = box.childElementCount > 0;
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  /** Reads every page, keeping the last KEPT_LINES. */
  async function load() {
    let after = '';
    let tail = [];
    for (;;) {
      const page = await api('GET', `/compute/v1/jobs/${q(jobId)}/logs?limit=5000${after ? `&after=${q(after)}` : ''}`);
      tail = tail.concat(page.items).slice(-KEPT_LINES);
      if (!page.nextAfter || page.items.length === 0) break;
      after = page.nextAfter;
    }
    append(tail);
    box.scrollTop = box.scrollHeight;
  }

  /** Follows new lines until the job ends (the stream's `end`) or stop(). */
  function start() {
    if (stream) return;
    stream = follow(
      () => `/api/compute/v1/jobs/${q(jobId)}/logs?follow=true${lastId ? `&after=${q(lastId)}` : ''}`,
      {log: (entry) => append([entry])});
  }

  return {element, load, start, stop: () => stream?.close()};
}
