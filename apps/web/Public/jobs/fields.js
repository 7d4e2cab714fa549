// Form parts the submit, rerun and terminal forms share: resources that follow a template's
// defaults and ranges, and key/value rows for params.
import {field} from '../forms.js';
import {fill, h} from '../dom.js';

/** The platform's limits (docs/compute.md), narrowed by a template's ranges. */
const RESOURCES = [
  {key: 'cpus', label: 'CPUs', min: 0.01, max: 1024, step: 0.01, unit: ''},
  {key: 'memoryMB', label: 'Memory (MB)', min: 16, max: 16777216, step: 1, unit: ' MB'},
  {key: 'gpus', label: 'GPUs', min: 0, max: 1024, step: 1, unit: ''},
  {key: 'diskMB', label: 'Disk (MB)', min: 16, max: 16777216, step: 1, unit: ' MB'},
];

/**
 * Number inputs for cpus, memoryMB, gpus, diskMB (or those of them in `only`), named
 * `resources.<key>` so the API's errors land beside them. The placeholders say what an empty
 * box means: `current` (a rerun keeps the old job's), else the template's defaults, else
 * `defaults`; a template's ranges become min/max, which checkFields enforces before anything is sent.
 */
export function resourceFields({defaults = {}, values = {}, current = null, only = null} = {}) {
  const resources = only ? RESOURCES.filter((resource) => only.includes(resource.key)) : RESOURCES;
  const inputs = {};
  const hints = {};
  const fields = resources.map((resource) => {
    inputs[resource.key] = h('input', {type: 'number', id: `job-${resource.key.toLowerCase()}`,
      step: resource.step, value: values[resource.key] ?? ''});
    hints[resource.key] = h('small', {class: 'muted field-hint', dataset: {hintFor: `resources.${resource.key}`}});
    const element = field(resource.label, inputs[resource.key], `resources.${resource.key}`);
    element.querySelector('.field-error').before(hints[resource.key]);
    return element;
  });

  /** Shows `template`'s defaults and ranges (none: the platform's) in the boxes and hints. */
  function applyTemplate(template) {
    for (const resource of resources) {
      const range = template?.ranges?.[resource.key] || {};
      const min = range.min ?? resource.min;
      const max = range.max ?? resource.max;
      const input = inputs[resource.key];
      input.min = String(min);
      input.max = String(max);
      if (current) {
        input.placeholder = current[resource.key] === undefined ? '' : `now ${current[resource.key]}`;
      } else {
        const fallback = template?.defaultResources?.[resource.key] ?? defaults[resource.key];
        input.placeholder = fallback === undefined ? 'default' : `default ${fallback}`;
      }
      fill(hints[resource.key], range.min !== undefined || range.max !== undefined
        ? `${template.name} allows ${min}–${max}${resource.unit}` : `${min}–${max}${resource.unit}`);
    }
  }
  applyTemplate(null);

  /** The boxes filled in, as numbers: what the job asks for (the rest is left to defaults). */
  function read() {
    const out = {};
    for (const resource of resources) {
      const text = inputs[resource.key].value.trim();
      if (text !== '') out[resource.key] = Number(text);
    }
    return out;
  }

  const element = h('fieldset', {class: 'job-resources'}, h('legend', {}, 'Resources'),
    h('div', {class: 'job-resource-grid'}, fields),
    h('span', {class: 'field-error error', role: 'alert', dataset: {errorFor: 'resources'}}));
  return {element, inputs, applyTemplate, read};
}

/** Numbers and true/false become JSON values; anything else stays text. */
export function paramValue(text) {
  const trimmed = text.trim();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (trimmed !== '' && !isNaN(Number(trimmed))) return Number(trimmed);
  return text;
}

/** Key/value rows (`params`), with an Add button; errors naming `params.<key>` land under them. */
export function keyValueRows(name, {initial = {}, legend = 'Params', errorField = name} = {}) {
  const rows = h('div', {class: 'kv-rows', id: `${name}-rows`});
  function addRow(key = '', value = '') {
    const keyInput = h('input', {class: 'kv-key', placeholder: 'name', value: key, 'aria-label': `${legend} name`});
    const valueInput = h('input', {class: 'kv-value', placeholder: 'value', value: value === '' ? '' : String(value),
      'aria-label': `${legend} value`});
    const row = h('div', {class: 'kv-row'}, keyInput, valueInput,
      h('button', {type: 'button', class: 'link kv-remove', onclick: () => row.remove()}, 'Remove'));
    rows.append(row);
    return row;
  }
  for (const [key, value] of Object.entries(initial)) {
    addRow(key, typeof value === 'object' ? JSON.stringify(value) : value);
  }
  const element = h('fieldset', {class: 'kv', dataset: {field: errorField}}, h('legend', {}, legend), rows,
    h('button', {type: 'button', class: 'link', id: `${name}-add`, onclick: () => addRow()}, 'Add a param'),
    h('span', {class: 'field-error error', role: 'alert', dataset: {errorFor: errorField}}));

  /** The rows with a name, as an object (values through paramValue). */
  function read() {
    const out = {};
    for (const row of rows.querySelectorAll('.kv-row')) {
      const key = row.querySelector('.kv-key').value.trim();
      if (key) out[key] = paramValue(row.querySelector('.kv-value').value);
    }
    return out;
  }
  return {element, addRow, read};
}
