// The form that creates a template (POST) or replaces one whole (PUT). Every input is named by
// the API's field (`ranges.cpus.min`, `defaultResources.memoryMB`, `setup.2`, `env.PATH`), so
// the 400 compute answers lands beside the input it is about (forms.js).
import {api, q} from '../api.js';
import {h} from '../dom.js';
import {checkFields, clearErrors, field, formError, showError} from '../forms.js';

export const RESOURCES = [
  {key: 'cpus', label: 'CPUs', step: 'any', hint: '0.01 to 1024'},
  {key: 'memoryMB', label: 'Memory (MB)', step: '1', hint: '16 to 16777216'},
  {key: 'gpus', label: 'GPUs', step: '1', hint: '0 to 64'},
  {key: 'diskMB', label: 'Disk (MB)', step: '1', hint: 'empty: the platform’s default'},
];

function numberInput(id, value, step) {
  return h('input', {type: 'number', id, step, min: 0, value: value === undefined || value === null ? '' : String(value)});
}

/** A number from an input, or undefined when it is empty (the field is then left out). */
function numberOf(input) {
  return input.value.trim() === '' ? undefined : Number(input.value);
}

/**
 * `existing`: the template being edited, or null to create one. `scopes`: the projects the
 * caller owns ({id, name}); `allowGlobal`: an administrator. `preset`: a project to preselect.
 */
export function templateForm({existing, scopes, allowGlobal, preset}) {
  const editing = Boolean(existing);
  const t = existing || {};
  const name = h('input', {id: 'template-name', required: true, value: t.name || '', readonly: editing,
    autocomplete: 'off', placeholder: 'e.g. sklearn-cpu'});
  const description = h('textarea', {id: 'template-description', rows: 2}, t.description || '');
  const projectOptions = [];
  if (allowGlobal || (editing && !t.projectId)) projectOptions.push(h('option', {value: ''}, 'Global (every project)'));
  for (const project of scopes) projectOptions.push(h('option', {value: project.id}, `Project ${project.name}`));
  if (editing && t.projectId && !scopes.some((p) => p.id === t.projectId)) {
    projectOptions.push(h('option', {value: t.projectId}, `Project ${t.projectId}`));
  }
  const project = h('select', {id: 'template-project'}, projectOptions);
  project.value = editing ? (t.projectId || '') : (preset || (allowGlobal ? '' : scopes[0]?.id || ''));

  const runtime = h('select', {id: 'template-runtime'},
    h('option', {value: 'host'}, 'the node’s own system (runtime host)'),
    h('option', {value: 'image'}, 'a container image'));
  runtime.value = t.image ? 'image' : 'host';
  const image = h('input', {id: 'template-image', value: t.image || '', placeholder: 'python:3.12-slim'});
  const imageField = field('Image', image, 'image', 'on nodes whose executor runs images (docker)');
  const showImage = () => imageField.classList.toggle('hidden', runtime.value !== 'image');
  runtime.addEventListener('change', showImage);
  showImage();

  const setupList = h('div', {id: 'template-setup'});
  const setupRows = () => [...setupList.querySelectorAll('.setup-command')];
  function renumberSetup() {
    setupRows().forEach((input, index) => {
      const label = input.closest('.field');
      input.name = `setup.${index}`;
      label.dataset.field = input.name;
      label.querySelector('.field-label').textContent = `Command ${index + 1}`;
      label.querySelector('.field-error').dataset.errorFor = input.name;
    });
  }
  function addSetup(value = '') {
    const input = h('input', {class: 'setup-command mono', value, placeholder: 'pip install -r requirements.txt'});
    const row = h('div', {class: 'list-row'}, field('Command', input, 'setup.x'),
      h('button', {type: 'button', class: 'secondary setup-remove', onclick: () => { row.remove(); renumberSetup(); }},
        'Remove'));
    setupList.append(row);
    renumberSetup();
    return input;
  }
  for (const command of t.setup || []) addSetup(command);

  const envList = h('div', {id: 'template-env'});
  function addEnv(key = '', value = '') {
    const keyInput = h('input', {class: 'env-key mono', value: key, placeholder: 'NAME'});
    const valueInput = h('input', {class: 'env-value mono', value, placeholder: 'value'});
    const row = h('div', {class: 'env-row'},
      field('Name', keyInput, 'env-key'), h('div', {class: 'env-value'}, field('Value', valueInput, 'env-value')),
      h('button', {type: 'button', class: 'secondary env-remove', onclick: () => row.remove()}, 'Remove'));
    envList.append(row);
    return keyInput;
  }
  for (const [key, value] of Object.entries(t.env || {})) addEnv(key, value);

  const defaults = {};
  const ranges = {};
  for (const resource of RESOURCES) {
    const bounds = (t.ranges || {})[resource.key] || {};
    defaults[resource.key] = numberInput(`default-${resource.key}`, (t.defaultResources || {})[resource.key], resource.step);
    ranges[resource.key] = {
      min: numberInput(`range-${resource.key}-min`, bounds.min, resource.step),
      max: numberInput(`range-${resource.key}-max`, bounds.max, resource.step),
    };
  }

  const save = h('button', {type: 'submit', id: 'template-save'}, editing ? 'Save template' : 'Create template');
  const form = h('form', {class: 'card template-form', id: 'template-form', novalidate: true},
    h('h2', {}, editing ? `Edit ${t.name}` : 'New template'),
    field('Name', name, 'name', editing ? 'a template keeps its name' : '1–64 of a-z, 0-9, - and _; unique'),
    field('Description', description, 'description'),
    field('For', project, 'projectId',
      allowGlobal ? 'global templates are the administrators’; a project’s, its owners’' : 'a project you own'),
    field('Runs on', runtime, 'runtime'),
    imageField,
    h('fieldset', {}, h('legend', {}, 'Setup commands (run in order before the job; the first failure stops it)'),
      setupList,
      h('button', {type: 'button', class: 'secondary', id: 'setup-add', onclick: () => addSetup().focus()},
        'Add command')),
    h('fieldset', {}, h('legend', {}, 'Environment (the job’s own values win)'),
      envList,
      h('button', {type: 'button', class: 'secondary', id: 'env-add', onclick: () => addEnv().focus()},
        'Add variable')),
    h('fieldset', {}, h('legend', {}, 'Default resources (what a job leaves out)'),
      h('div', {class: 'resource-grid'}, RESOURCES.map((r) =>
        field(r.label, defaults[r.key], `defaultResources.${r.key}`, r.hint)))),
    h('fieldset', {}, h('legend', {}, 'Ranges (what a job may ask for; empty: open)'),
      h('div', {class: 'range-grid'}, RESOURCES.map((r) => h('div', {class: 'range-pair'},
        field(`${r.label} min`, ranges[r.key].min, `ranges.${r.key}.min`),
        field(`${r.label} max`, ranges[r.key].max, `ranges.${r.key}.max`))))),
    formError(),
    h('div', {class: 'row'}, save,
      h('a', {href: editing ? `/templates/${q(t.name)}` : '/templates', id: 'template-cancel'}, 'Cancel')));

  /** The whole template as the form says it: what POST takes and what PUT replaces. */
  function body() {
    const template = {name: name.value.trim()};
    if (description.value.trim()) template.description = description.value;
    if (project.value) template.projectId = project.value;
    if (runtime.value === 'image') template.image = image.value.trim();
    else template.runtime = 'host';
    // Blank lines are dropped first, so `setup.N` from the server is the Nth row shown.
    for (const input of setupRows()) if (!input.value.trim()) input.closest('.list-row').remove();
    renumberSetup();
    const setup = setupRows().map((input) => input.value);
    if (setup.length) template.setup = setup;
    const env = {};
    for (const row of envList.querySelectorAll('.env-row')) {
      const key = row.querySelector('.env-key').value.trim();
      // The server names a bad variable `env.<name>`: point that row's slot at it.
      row.querySelector('.env-value .field-error').dataset.errorFor = `env.${key}`;
      if (key) env[key] = row.querySelector('.env-value input').value;
    }
    if (Object.keys(env).length) template.env = env;
    const chosen = {};
    const bounds = {};
    for (const resource of RESOURCES) {
      const value = numberOf(defaults[resource.key]);
      if (value !== undefined) chosen[resource.key] = value;
      const min = numberOf(ranges[resource.key].min);
      const max = numberOf(ranges[resource.key].max);
      if (min !== undefined || max !== undefined) bounds[resource.key] = {min, max};
    }
    if (Object.keys(chosen).length) template.defaultResources = chosen;
    if (Object.keys(bounds).length) template.ranges = bounds;
    return template;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkFields(form)) return;
    save.disabled = true;
    try {
      const template = body();
      const saved = editing
        ? await api('PUT', `/compute/v1/templates/${q(t.name)}`, template)
        : await api('POST', '/compute/v1/templates', template);
      location.assign(`/templates/${q(saved.name)}`);
    } catch (error) {
      showError(form, error);
      save.disabled = false;
    }
  });
  return form;
}

