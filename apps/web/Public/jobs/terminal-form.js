// "Open a terminal" (the submit page's `?kind=terminal`): a terminal session is a job with
// `endpoint: {kind: "terminal"}` and no command (docs/compute.md) — a template to run the shell
// in, dataset versions mounted at /data, cpus and memory, and how long it may sit idle. On
// success the browser goes to the session's terminal page; every error lands beside its field.
import {api, q} from '../api.js';
import {fill, h} from '../dom.js';
import {checkFields, clearErrors, field, formError, showError} from '../forms.js';
import {resourceFields} from './fields.js';
import {inputsField} from './inputs.js';

/** Compute's bounds on `endpoint.idleSeconds` (60…604800), in the form's minutes. */
const IDLE_MINUTES = {min: 1, max: 10080, default: 60};

/** The form; `projectField` is the page's project select (changing it reloads the page). */
export function terminalForm({projectId, projectField, templates, versions, chosen}) {
  const preferred = chosen || (templates.some((t) => t.name === 'python-cpu') ? 'python-cpu' : templates[0]?.name);
  const name = h('input', {id: 'terminal-job-name', maxlength: 200, placeholder: 'optional'});
  const template = h('select', {id: 'terminal-template'},
    templates.map((t) => h('option', {value: t.name, selected: t.name === preferred}, t.name)));
  const templateNote = h('p', {class: 'muted', id: 'terminal-template-note'});
  const inputs = inputsField(versions, {id: 'terminal-inputs'});
  const resources = resourceFields({only: ['cpus', 'memoryMB']});
  const idle = h('input', {type: 'number', id: 'terminal-idle', min: IDLE_MINUTES.min, max: IDLE_MINUTES.max, step: 1,
    placeholder: String(IDLE_MINUTES.default)});
  const submit = h('button', {type: 'submit', id: 'terminal-submit'}, 'Open terminal');

  function showTemplate() {
    const picked = templates.find((t) => t.name === template.value) || null;
    resources.applyTemplate(picked);
    fill(templateNote, picked?.description || '',
      picked ? (picked.image ? ` Image ${picked.image}.` : ' Runs on the node\'s own system.') : '');
  }
  template.addEventListener('change', showTemplate);
  showTemplate();

  const form = h('form', {class: 'card job-form', id: 'terminal-form', novalidate: true},
    projectField,
    field('Name', name, 'name'),
    field('Template', template, 'template', 'The shell runs where this template\'s jobs run, with its setup done.'),
    templateNote,
    inputs.element,
    resources.element,
    field('Idle minutes', idle, 'endpoint.idleSeconds',
      `${IDLE_MINUTES.min}–${IDLE_MINUTES.max} (a week); the session ends after this long with nothing typed`
        + ' or printed'),
    formError(), h('div', {class: 'row'}, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkFields(form)) return;
    if (!template.value) {
      showError(form, {field: 'template', message: 'the project has no template to run a shell in'});
      return;
    }
    const spec = {projectId, template: template.value, endpoint: {kind: 'terminal'}};
    if (name.value.trim()) spec.name = name.value.trim();
    const chosenInputs = inputs.read();
    if (chosenInputs.length) spec.inputs = chosenInputs;
    const wanted = resources.read();
    if (Object.keys(wanted).length) spec.resources = wanted;
    if (idle.value) spec.endpoint.idleSeconds = Math.round(Number(idle.value) * 60);
    submit.disabled = true;
    try {
      const job = await api('POST', '/compute/v1/jobs', spec);
      location.assign(`/jobs/${q(job.id)}/terminal`);
    } catch (error) {
      // 422 naming `image`: no node of the queue runs the template's image.
      showError(form, error.field === 'image' ? {field: 'template', message: error.message} : error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
