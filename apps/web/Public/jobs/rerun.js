// The rerun form of a job page: overrides of params (merged into the old ones), resources
// (merged), template, timeout and name → POST /v1/jobs/{id}/rerun → the new job's page.
import {api, q} from '../api.js';
import {h} from '../dom.js';
import {checkFields, clearErrors, field, formError, showError} from '../forms.js';
import {keyValueRows, resourceFields} from './fields.js';

export async function rerunForm(job) {
  const templates = await api('GET', `/compute/v1/templates?projectId=${q(job.projectId)}&limit=500`)
    .then((answer) => answer.items, () => []);
  const template = h('select', {id: 'rerun-template'},
    h('option', {value: ''}, job.template ? `Keep ${job.template}` : 'Keep (no template)'),
    templates.filter((t) => t.name !== job.template).map((t) => h('option', {value: t.name}, t.name)));
  const params = keyValueRows('rerun-params', {legend: 'Params', errorField: 'params'});
  const now = Object.entries(job.spec?.params || {}).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  const resources = resourceFields({current: job.resources});
  const timeout = h('input', {type: 'number', id: 'rerun-timeout', min: 1, max: 2592000, step: 1,
    placeholder: job.spec?.timeoutSeconds ? `now ${job.spec.timeoutSeconds}` : 'none'});
  const name = h('input', {id: 'rerun-name', maxlength: 200, placeholder: 'optional'});
  const submit = h('button', {type: 'submit', id: 'rerun-submit'}, 'Rerun');

  const showRanges = () =>
    resources.applyTemplate(templates.find((t) => t.name === (template.value || job.template)) || null);
  template.addEventListener('change', showRanges);
  showRanges();

  const form = h('form', {id: 'rerun-form', class: 'rerun-form', novalidate: true},
    h('p', {class: 'muted'}, 'A new job from this one\'s spec. Leave a box empty to keep what it had.'),
    field('Template', template, 'template'),
    params.element,
    h('p', {class: 'muted small'},
      now.length ? `Params now: ${now.join(', ')} (rows here replace or add)` : 'No params now.'),
    resources.element,
    h('div', {class: 'job-resource-grid'},
      field('Timeout (seconds)', timeout, 'timeoutSeconds'), field('Name', name, 'name')),
    formError(), h('div', {class: 'row'}, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkFields(form)) return;
    const overrides = {};
    const paramValues = params.read();
    if (Object.keys(paramValues).length) overrides.params = paramValues;
    const wanted = resources.read();
    if (Object.keys(wanted).length) overrides.resources = wanted;
    if (template.value) overrides.template = template.value;
    if (timeout.value) overrides.timeoutSeconds = Number(timeout.value);
    if (name.value.trim()) overrides.name = name.value.trim();
    submit.disabled = true;
    try {
      const created = await api('POST', `/compute/v1/jobs/${q(job.id)}/rerun`, overrides);
      location.assign(`/jobs/${created.id}`);
    } catch (error) {
      showError(form, error.field === 'image' ? {field: 'template', message: error.message} : error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
