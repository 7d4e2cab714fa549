// Cancel for a job's pages (the job page, a terminal session's): a button that asks in the page
// before cancelling, and shows the job's cancel state. `prefix` names the elements
// (`<prefix>-cancel`, `-cancel-box`, `-cancel-confirm`, `-cancel-keep`), `question` is asked,
// `onCancelled(job)` gets the job as compute answered, errors go to `actionMessage`.
import {api, q} from '../api.js';
import {errorBox, fill, h} from '../dom.js';
import {isEnded} from './format.js';

export function cancelControl({prefix, label, question, actionMessage, onCancelled}) {
  let job = null;
  const button = h('button', {type: 'button', id: `${prefix}-cancel`, class: 'trash'}, label);
  const box = h('div', {id: `${prefix}-cancel-box`, class: 'job-confirm', hidden: true});

  button.addEventListener('click', () => {
    fill(box, h('span', {}, question),
      h('button', {type: 'button', id: `${prefix}-cancel-confirm`, class: 'trash', onclick: async () => {
        box.hidden = true;
        try {
          onCancelled(await api('POST', `/compute/v1/jobs/${q(job.id)}/cancel`));
        } catch (error) { fill(actionMessage, errorBox(error)); }
      }}, 'Yes, cancel it'), ' ',
      h('button', {type: 'button', id: `${prefix}-cancel-keep`, onclick: () => { box.hidden = true; }}, 'Keep it'));
    box.hidden = false;
  });

  // Shows `next`'s cancel state: hidden once ended, "Cancelling…" once asked.
  function update(next) {
    job = next;
    button.hidden = isEnded(job.state);
    button.disabled = Boolean(job.cancelRequested);
    if (job.cancelRequested && !isEnded(job.state)) button.textContent = 'Cancelling…';
    if (isEnded(job.state)) box.hidden = true;
  }

  return {button, box, update};
}
