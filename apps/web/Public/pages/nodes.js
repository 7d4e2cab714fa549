// The compute nodes: each one's state, queues, executor, capacity, what its jobs hold
// (allocation) and use (measured), its last heartbeat and the jobs running on it. Compute has
// no event stream for nodes, so the page reads them again every 5 s (no faster: a heartbeat is
// what changes them, and agents send one every few seconds).
import {api, q} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';
import {ago, bar, formatBytes, formatCpus, formatMB} from '../compute/format.js';

const REFRESH_MS = 5000;
/** The most jobs read per node on each refresh; the rest are counted, not listed. */
const JOBS_SHOWN = 25;

export async function nodesPage(main, {me}) {
  const isAdmin = me && me.role === 'admin';
  const list = h('div', {id: 'nodes', class: 'nodes'});
  const updated = h('p', {class: 'muted', id: 'nodes-updated'});
  const message = h('div', {id: 'nodes-error'});
  const focus = new URLSearchParams(location.search).get('node') || '';
  fill(main,
    h('h1', {}, 'Nodes'),
    h('p', {class: 'muted'}, 'Allocated: what the scheduled and running jobs on a node reserved. ',
      'Used: what they measure now (from their cgroups or Docker). ',
      isAdmin ? 'Every job is listed.' : 'Only your own jobs are listed; capacity and allocation count everyone’s.'),
    updated, message, list);

  async function refresh() {
    const nodes = (await api('GET', '/compute/v1/nodes')).items;
    // One node's details failing (it was just removed, say) leaves its card without jobs.
    const details = await Promise.all(nodes.map((node) =>
      nodeDetails(node).catch(() => ({jobIds: [], jobs: [], history: []}))));
    if (nodes.length === 0) {
      fill(list, h('p', {class: 'muted', id: 'no-nodes'}, 'No node has registered yet: start an agent ',
        '(mlex-compute-agent) and it appears here.'));
    } else {
      fill(list, nodes.map((node, index) => nodeCard(node, details[index], isAdmin)));
    }
    // `?node=<id>` (a job page's link to its node) marks that node's card.
    list.querySelector(`[data-node-id="${CSS.escape(focus)}"]`)?.classList.add('focused');
    fill(updated, `Updated ${formatTime(new Date().toISOString())}; refreshed every ${REFRESH_MS / 1000} s.`);
    list.dataset.refreshes = String(Number(list.dataset.refreshes || 0) + 1);
  }

  // Each refresh starts 5 s after the previous one ended, so slow answers never stack up;
  // a hidden tab skips its turns.
  function schedule() {
    setTimeout(async () => {
      if (!document.hidden) {
        try {
          await refresh();
          fill(message);
        } catch (error) {
          fill(message, errorBox(error));
        }
      }
      schedule();
    }, REFRESH_MS);
  }

  await refresh();
  list.querySelector('.focused')?.scrollIntoView();
  schedule();
}

/** The node's job ids (what the caller may see), its usage history and those jobs. */
async function nodeDetails(node) {
  const [detail, usage] = await Promise.all([
    api('GET', `/compute/v1/nodes/${q(node.id)}`),
    api('GET', `/compute/v1/nodes/${q(node.id)}/usage`).catch(() => null),
  ]);
  const ids = detail.jobs || [];
  const jobs = await Promise.all(ids.slice(0, JOBS_SHOWN).map((id) =>
    api('GET', `/compute/v1/jobs/${q(id)}`).catch(() => null)));
  return {jobIds: ids, jobs: jobs.filter(Boolean), history: usage ? usage.history : []};
}

/** CPUs busy over the last two samples (cpuSeconds is cumulative); null when unknown. */
function cpuRate(history) {
  if (!history || history.length < 2) return null;
  const last = history[history.length - 1];
  const before = history[history.length - 2];
  const seconds = (new Date(last.at) - new Date(before.at)) / 1000;
  const spent = last.cpuSeconds - before.cpuSeconds;
  // A job that ended between the samples takes its seconds out of the sum: no rate then.
  if (!(seconds > 0) || spent < 0) return null;
  return spent / seconds;
}

function nodeCard(node, details, isAdmin) {
  const capacity = node.capacity || {};
  const allocated = node.allocated || {};
  const usage = node.usage || {};
  const lost = node.state !== 'online';
  const gpuCount = (capacity.gpus || []).length;
  const rate = lost ? null : cpuRate(details.history);
  const hidden = Math.max(0, (node.runningJobs || 0) - details.jobIds.length);
  return h('section', {class: `card node ${lost ? 'lost' : 'online'}`,
    dataset: {nodeId: node.id, nodeName: node.name, state: node.state}},
  h('div', {class: 'node-head'},
    h('h2', {class: 'node-name'}, node.name),
    h('span', {class: `node-state ${node.state}`, dataset: {state: node.state}},
      lost ? 'lost' : 'online'),
    h('span', {class: 'muted node-heartbeat', title: formatTime(node.lastHeartbeat)},
      lost ? `no heartbeat since ${formatTime(node.lastHeartbeat)}` : `heartbeat ${ago(node.lastHeartbeat)}`)),
  lost ? h('p', {class: 'error node-lost-note'},
    'Compute stopped hearing from this node: its jobs failed (node_lost) or went back to the queue ',
    'while they had retries. It comes back when its agent registers again.') : null,
  h('div', {class: 'node-body'},
  h('dl', {class: 'facts'},
    h('dt', {}, 'Queues'), h('dd', {class: 'node-queues'}, (node.queues || []).join(', ')),
    h('dt', {}, 'Executor'), h('dd', {class: 'node-executor'}, node.executor),
    h('dt', {}, 'Capacity'), h('dd', {class: 'node-capacity',
      dataset: {cpus: capacity.cpus, memoryMb: capacity.memoryMB, gpus: gpuCount, diskMb: capacity.diskMB ?? ''}},
    `${formatCpus(capacity.cpus)} CPU${capacity.cpus === 1 ? '' : 's'} · ${formatMB(capacity.memoryMB)} memory · `
      + `${gpuCount} GPU${gpuCount === 1 ? '' : 's'}`,
    capacity.diskMB ? ` · jobs’ disks up to ${formatMB(capacity.diskMB)} each` : ''),
    h('dt', {}, 'Last heartbeat'), h('dd', {}, formatTime(node.lastHeartbeat)),
    h('dt', {}, 'Registered'), h('dd', {}, formatTime(node.registeredAt))),
  h('div', {class: 'node-bars'},
    h('h3', {}, 'Allocated'),
    bar('CPUs', allocated.cpus || 0, capacity.cpus || 0, formatCpus, {class: 'bar-row alloc-cpus'}),
    bar('Memory', allocated.memoryMB || 0, capacity.memoryMB || 0, formatMB, {class: 'bar-row alloc-memory'}),
    gpuCount > 0 ? bar('GPUs', (allocated.gpus || []).length, gpuCount, String, {class: 'bar-row alloc-gpus'}) : null,
    h('h3', {}, 'Used now'),
    lost ? h('p', {class: 'muted'}, 'Not measured while the node is lost.') : [
      rate === null
        ? h('div', {class: 'bar-row use-cpus muted'}, h('span', {class: 'bar-label'}, 'CPUs'),
          h('span', {}, 'measured from the next heartbeats'))
        : bar('CPUs', rate, capacity.cpus || 0, formatCpus, {class: 'bar-row use-cpus'}),
      bar('Memory', (usage.memoryBytes || 0) / (1024 * 1024), capacity.memoryMB || 0, formatMB,
        {class: 'bar-row use-memory'}),
      usage.pids !== undefined ? h('p', {class: 'muted'}, `${usage.pids} processes`) : null])),
  jobsTable(node, details, isAdmin, hidden));
}

function jobsTable(node, details, isAdmin, hidden) {
  const more = details.jobIds.length - details.jobs.length;
  if (details.jobIds.length === 0) {
    return h('p', {class: 'muted node-jobs-none'},
      hidden > 0 ? `${hidden} job(s) of other people run here.` : 'No job runs here.');
  }
  return h('div', {class: 'node-jobs'},
    h('h3', {}, 'Jobs here'),
    h('div', {class: 'scroll'}, h('table', {class: 'grid'},
      h('thead', {}, h('tr', {}, h('th', {}, 'Job'), h('th', {}, 'State'), isAdmin ? h('th', {}, 'Owner') : null,
        h('th', {}, 'Allocated'), h('th', {}, 'Memory used'), h('th', {}, 'Started'))),
      h('tbody', {}, details.jobs.map((job) => h('tr', {class: 'node-job', dataset: {jobId: job.id, state: job.state}},
        h('td', {}, h('a', {href: `/jobs/${job.id}`}, job.name || job.id)),
        h('td', {}, h('span', {class: `status ${job.state}`}, job.state)),
        isAdmin ? h('td', {class: 'mono'}, job.owner) : null,
        h('td', {class: 'num job-allocation'}, `${formatCpus(job.resources.cpus)} CPU · ${formatMB(job.resources.memoryMB)}`,
          (job.gpuIds || []).length ? ` · GPU ${job.gpuIds.join(',')}` : ''),
        h('td', {class: 'num'}, job.usage ? formatBytes(job.usage.memoryBytes) : ''),
        h('td', {}, ago(job.startedAt || job.scheduledAt))))))),
    more > 0 ? h('p', {class: 'muted'}, `and ${more} more`) : null,
    hidden > 0 ? h('p', {class: 'muted'}, `${hidden} job(s) of other people run here too.`) : null);
}
