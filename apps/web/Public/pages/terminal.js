// A terminal session's page (`/jobs/<id>/terminal`): the session's job (name, state, resources,
// Cancel, a link to the job page) and its shell. While the job is queued or scheduled the page
// says "starting…" and reads the job every second; once it runs, the terminal connects
// (jobs/terminal-socket.js) and shows the shell (jobs/terminal-view.js). When the shell exits,
// the session is cancelled or it idles out, the page says the session ended and lists what the
// session left in /output, which its run keeps.
import {api, q} from '../api.js';
import {errorBox, fill, h} from '../dom.js';
import {idleText, isEnded, resourcesText, setStateBadge, stateBadge} from '../jobs/format.js';
import {cancelControl} from '../jobs/cancel.js';
import {connectTerminal, terminalURL} from '../jobs/terminal-socket.js';
import {terminalView} from '../jobs/terminal-view.js';

const STARTING_POLL_MS = 1000;
/** While connected the socket says when the shell ends; the job is read now and then for its state. */
const RUNNING_POLL_MS = 5000;

/** The phone's way to type: a line sent with Enter, and the keys a phone keyboard lacks. */
function phoneBar(view) {
  const line = h('input', {id: 'terminal-line', autocapitalize: 'off', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'type a line, Enter sends it', 'aria-label': 'A line to send'});
  const key = (label, text, title) => h('button', {type: 'button', class: 'terminal-key', title,
    onclick: () => view.send(text)}, label);
  return h('div', {class: 'terminal-phone'},
    h('form', {class: 'terminal-line-form', id: 'terminal-line-form', onsubmit: (event) => {
      event.preventDefault();
      view.send(`${line.value}\r`);
      line.value = '';
    }}, line, h('button', {type: 'submit', id: 'terminal-line-send'}, 'Send')),
    h('div', {class: 'terminal-key-row'},
      key('Tab', '\t', 'Tab'), key('^C', '\x03', 'Ctrl-C: interrupt'), key('^D', '\x04', 'Ctrl-D: end of input'),
      key('Esc', '\x1b', 'Escape'), key('↑', '\x1b[A', 'Up'), key('↓', '\x1b[B', 'Down'),
      key('←', '\x1b[D', 'Left'), key('→', '\x1b[C', 'Right')));
}

function outputsList(answer) {
  if (answer.items.length === 0) return h('p', {class: 'muted'}, 'Nothing was written to /output.');
  return h('ul', {class: 'job-outputs-list'}, answer.items.map((file) => h('li', {},
    h('a', {class: 'download', href: file.downloadPath, download: (file.name || file.path).split('/').pop(),
      dataset: {name: file.name || file.path}}, file.name || file.path),
    ' ', h('span', {class: 'muted'}, `${file.size ?? ''} bytes`))));
}

export async function terminalPage(main, {params: [jobId]}) {
  let job = await api('GET', `/compute/v1/jobs/${q(jobId)}`);
  const project = await api('GET', `/data/v1/projects/${q(job.projectId)}`).catch(() => null);
  const crumbs = h('p', {class: 'crumbs'}, h('a', {href: `/jobs?projectId=${q(job.projectId)}`}, 'Jobs'), ' / ',
    h('a', {href: `/projects/${q(job.projectId)}`}, project?.name || 'Project'), ' / ',
    h('a', {href: `/jobs/${q(job.id)}`}, job.name || job.id), ' / ');
  if (job.spec?.endpoint?.kind !== 'terminal') {
    return fill(main, crumbs, h('h1', {}, 'Not a terminal session'),
      h('p', {}, 'This job has no shell to open. ', h('a', {href: `/jobs/${q(job.id)}`}, 'Its page'), '.'));
  }

  const badge = stateBadge(job.state, {id: 'terminal-state'});
  const status = h('span', {id: 'terminal-status', class: 'terminal-status'});
  const actionMessage = h('div', {id: 'terminal-action-error'});
  const cancel = cancelControl({
    prefix: 'terminal', label: 'Cancel session',
    question: 'Cancel this session? Its shell is killed; what is in /output is still kept. ',
    actionMessage, onCancelled: (next) => update(next),
  });
  const {button: cancelButton, box: cancelBox} = cancel;
  const ended = h('section', {class: 'card terminal-ended', id: 'terminal-ended', hidden: true});
  let socket = null;
  let pollTimer = null;

  const view = terminalView({
    onInput: (text) => socket?.send('stdin', text),
    onResize: (rows, cols) => socket?.send('set_size', rows, cols),
  });
  const terminalCard = h('section', {class: 'card terminal-card', id: 'terminal-card', hidden: true},
    view.element, phoneBar(view),
    h('p', {class: 'muted small terminal-hint'},
      'Datasets are read-only at /data; files written to /output are kept by the run when the session ends '
        + '(type exit, or Cancel). Paste with Ctrl+V or ⌘V; Shift+PageUp scrolls back.'));

  function setStatus(name, text) {
    status.dataset.status = name;
    fill(status, text);
  }

  function update(next) {
    job = next;
    setStateBadge(badge, job.state);
    cancel.update(job);
  }

  async function showEnded() {
    socket?.close();
    socket = null;
    view.setEnabled(false);
    setStatus('ended', 'session ended');
    fill(ended, h('h2', {}, 'Session ended'),
      h('p', {}, 'The job is ', stateBadge(job.state, {id: 'terminal-ended-state'}), '. ',
        isEnded(job.state) ? null : 'Its files are being saved. ',
        'Its run keeps what was written to /output: ',
        h('a', {href: `/runs/${q(job.runId)}`, id: 'terminal-run-link'}, 'the run\'s outputs'), ', ',
        h('a', {href: `/jobs/${q(job.id)}`}, 'the job page'), '.'),
      h('div', {id: 'terminal-outputs'}, isEnded(job.state) ? h('span', {class: 'muted'}, 'Loading…') : null));
    ended.hidden = false;
    if (!isEnded(job.state)) return;
    const outputs = ended.querySelector('#terminal-outputs');
    try {
      fill(outputs, outputsList(await api('GET', `/compute/v1/jobs/${q(job.id)}/outputs`)));
    } catch (error) { fill(outputs, errorBox(error)); }
  }

  function connect(again) {
    setStatus(again ? 'reconnecting' : 'connecting', again ? 'reconnecting…' : 'connecting…');
    terminalCard.hidden = false;
    view.fit();
    socket = connectTerminal(terminalURL(job.endpointPath), {
      onOpen: () => {
        setStatus('connected', 'connected');
        // The server replays its recent output to each connection: drawn on a fresh screen.
        view.reset();
        const {rows, cols} = view.fit();
        socket.send('set_size', rows, cols);
        view.focus();
      },
      onMessage: (kind, [text]) => {
        if (kind === 'stdout' && typeof text === 'string') view.write(text);
      },
      onClose: async ({opened, disconnected}) => {
        socket = null;
        if (disconnected) return showEnded();
        // Dropped, or never answered: a session still running is tried again, else it ended.
        try {
          update(await api('GET', `/compute/v1/jobs/${q(job.id)}`));
        } catch (error) { fill(actionMessage, errorBox(error)); }
        if (job.state !== 'running') return showEnded();
        if (opened) return connect(true);
        setStatus('failed', 'could not connect');
        fill(actionMessage, h('p', {class: 'error', role: 'alert'}, 'The session\'s shell did not answer. ',
          h('button', {type: 'button', id: 'terminal-retry', onclick: () => {
            fill(actionMessage);
            connect(false);
          }}, 'Try again')));
      },
    });
  }

  /** Reads the job every second until it runs (then connects), and now and then after. */
  async function poll() {
    clearTimeout(pollTimer);
    try {
      update(await api('GET', `/compute/v1/jobs/${q(job.id)}`));
    } catch (error) {
      // A failed read leaves the page as it was; the next one tries again.
    }
    if (isEnded(job.state)) {
      if (status.dataset.status !== 'ended' || ended.querySelector('#terminal-outputs:empty')) showEnded();
      return;
    }
    if (job.state === 'running' && !socket && status.dataset.status === 'starting') connect(false);
    if (job.state !== 'running') setStatus('starting', `starting… (${job.state})`);
    const waitMs = job.state === 'running' && status.dataset.status !== 'ended' ? RUNNING_POLL_MS : STARTING_POLL_MS;
    pollTimer = setTimeout(poll, waitMs);
  }
  window.addEventListener('pagehide', () => clearTimeout(pollTimer));

  const spec = job.spec;
  const inputs = spec.inputs || [];
  fill(main, crumbs,
    h('div', {class: 'row terminal-head'},
      h('h1', {id: 'terminal-name'}, job.name || 'Terminal session'), badge, status,
      h('span', {class: 'row terminal-actions'}, cancelButton,
        h('a', {href: `/jobs/${q(job.id)}`, id: 'terminal-job-link'}, 'Job page (log, usage)'))),
    h('p', {class: 'muted terminal-facts', id: 'terminal-facts'},
      [job.template || spec.template, resourcesText(job.resources),
        inputs.length === 1 ? '/data: 1 dataset version'
          : inputs.length ? `/data: ${inputs.length} dataset versions` : null,
        idleText(spec.endpoint)].filter(Boolean).join(' · ')),
    cancelBox, actionMessage, ended, terminalCard);
  update(job);
  if (isEnded(job.state)) return showEnded();
  setStatus('starting', job.state === 'running' ? 'starting…' : `starting… (${job.state})`);
  await poll();
}
