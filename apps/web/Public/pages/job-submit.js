// Submit a job to a project: a template (its defaults and ranges shown and enforced), a shell
// command and/or a code package uploaded into the project's files, dataset versions as inputs,
// params, resources, timeout, queue, priority, and a model to register its outputs as. The
// browser checks what it can (checkFields); every error the API answers is shown beside its field.
// `?kind=terminal` shows the "Open a terminal" form instead (jobs/terminal-form.js).
import {api, q, upload} from '../api.js';
import {fill, h} from '../dom.js';
import {checkFields, clearErrors, field, formError, showError} from '../forms.js';
import {keyValueRows, resourceFields} from '../jobs/fields.js';
import {finalVersions, inputsField} from '../jobs/inputs.js';
import {terminalForm} from '../jobs/terminal-form.js';

/** Where an uploaded package goes among the project's files: unique, so an older job's package stays. */
function packagePath(file) {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const name = file.name.replace(/[^A-Za-z0-9._-]/g, '_') || 'package.tar';
  return `code/${stamp}-${name}`;
}

export async function jobSubmitPage(main) {
  const search = new URLSearchParams(location.search);
  const projects = (await api('GET', '/data/v1/projects?limit=500')).items;
  const projectId = search.get('projectId') || projects[0]?.id || '';
  const terminal = search.get('kind') === 'terminal';
  const title = terminal ? 'Open a terminal' : 'Submit a job';
  if (!projectId) {
    return fill(main, h('h1', {}, title),
      h('p', {class: 'muted'}, 'You have no project to run a job in. ',
        h('a', {href: '/projects'}, 'Create one first.')));
  }
  const [templates, versions, nodes] = await Promise.all([
    api('GET', `/compute/v1/templates?projectId=${q(projectId)}&limit=500`).then((a) => a.items),
    finalVersions(projectId),
    api('GET', '/compute/v1/nodes').then((a) => a.items, () => []),
  ]);
  const queues = [...new Set(['default', ...nodes.flatMap((node) => node.queues || [])])].sort();

  const project = h('select', {id: 'job-project', name: 'projectId'},
    projects.some((p) => p.id === projectId) ? null : h('option', {value: projectId}, projectId),
    projects.map((p) => h('option', {value: p.id, selected: p.id === projectId}, p.name)));
  // Templates and datasets are the project's: another project is another form.
  const formURL = (id, kind) => `/jobs/new?projectId=${q(id)}${kind ? `&kind=${kind}` : ''}`;
  project.addEventListener('change', () => location.assign(formURL(project.value, terminal ? 'terminal' : '')));
  const crumbs = h('p', {class: 'crumbs'}, h('a', {href: `/jobs?projectId=${q(projectId)}`}, 'Jobs'), ' / ');
  if (terminal) {
    return fill(main, crumbs, h('div', {class: 'row jobs-head'}, h('h1', {}, title),
      h('a', {href: formURL(projectId, ''), id: 'job-submit-form-link'}, 'Submit a batch job instead')),
    h('p', {class: 'muted'}, 'A shell in the browser, run as a job of the project: its datasets at /data, '
      + 'and what it writes to /output kept by its run when the session ends.'),
    terminalForm({projectId, projectField: field('Project', project, 'projectId'), templates, versions,
      chosen: search.get('template')}));
  }

  const name = h('input', {id: 'job-name', maxlength: 200, placeholder: 'optional'});
  const template = h('select', {id: 'job-template'},
    h('option', {value: ''}, 'None (the node\'s own system)'),
    templates.map((t) => h('option', {value: t.name, selected: t.name === search.get('template')}, t.name)));
  const templateNote = h('p', {class: 'muted', id: 'job-template-note'});
  const command = h('textarea', {id: 'job-command', rows: 4, spellcheck: 'false',
    placeholder: 'python3 train.py --epochs 3'});
  const codePackage = h('input', {type: 'file', id: 'job-package', accept: '.tar,.tar.gz,.tgz,application/x-tar'});
  const inputs = inputsField(versions);
  const params = keyValueRows('params');
  const resources = resourceFields({defaults: {cpus: 1, memoryMB: 1024, gpus: 0}});
  const timeout = h('input', {type: 'number', id: 'job-timeout', min: 1, max: 2592000, step: 1, placeholder: 'none'});
  const queue = h('input', {id: 'job-queue', list: 'job-queues', placeholder: 'default'});
  const priority = h('input', {type: 'number', id: 'job-priority', min: 0, max: 1000, step: 1, placeholder: '50'});
  const registerModel = h('input', {id: 'job-register-model', maxlength: 100, pattern: '[\\p{L}\\p{N}._\\-]+',
    placeholder: 'optional: a model name'});
  const submit = h('button', {type: 'submit', id: 'job-submit'}, 'Submit');

  function chosenTemplate() {
    return templates.find((t) => t.name === template.value) || null;
  }
  function showTemplate() {
    const chosen = chosenTemplate();
    resources.applyTemplate(chosen);
    if (!chosen) return fill(templateNote);
    fill(templateNote, chosen.description || '',
      chosen.image ? ` Image ${chosen.image}.` : ' Runs on the node\'s own system.',
      chosen.setup?.length ? ` Setup: ${chosen.setup.join('; ')}` : '');
  }
  template.addEventListener('change', showTemplate);
  showTemplate();

  const form = h('form', {class: 'card job-form', id: 'job-form', novalidate: true},
    field('Project', project, 'projectId'),
    field('Name', name, 'name'),
    field('Template', template, 'template'), templateNote,
    field('Command', command, 'command',
      'A shell command, run as /bin/sh -c "…" in /job (the code package, when given). '
        + 'Leave it empty to run the package\'s main.py (main("/data", "/output")).'),
    field('Code package', codePackage, 'codePackage',
      'A .tar or .tar.gz (git archive) uploaded into the project\'s files under code/ and unpacked in /job.'),
    inputs.element,
    params.element,
    resources.element,
    h('div', {class: 'job-resource-grid'},
      field('Timeout (seconds)', timeout, 'timeoutSeconds', '1–2592000 (30 days)'),
      field('Queue', queue, 'queue'),
      field('Priority', priority, 'priority', '0–1000, higher first')),
    h('datalist', {id: 'job-queues'}, queues.map((name) => h('option', {value: name}))),
    field('Register outputs as model', registerModel, 'registerModel.name',
      'When the job succeeds, its outputs become a new version of this model of the project.'),
    formError(), h('div', {class: 'row'}, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkFields(form)) return;
    const text = command.value.trim();
    const file = codePackage.files[0];
    if (!text && !file) {
      showError(form, {field: 'command', message: 'give a command, or a code package holding main.py'});
      return;
    }
    submit.disabled = true;
    try {
      const spec = {projectId};
      if (name.value.trim()) spec.name = name.value.trim();
      if (template.value) spec.template = template.value;
      // A shell gives the user pipes, variables and quoting as typed; argv would need a way to
      // type each argument apart, which a text box has not.
      if (text) spec.command = ['/bin/sh', '-c', text];
      if (file) {
        const path = packagePath(file);
        try {
          await upload(`/data/v1/projects/${q(projectId)}/files/${path.split('/').map(q).join('/')}`, file);
        } catch (error) {
          showError(form, {field: 'codePackage', message: error.message});
          return;
        }
        spec.codePackage = path;
      }
      const chosenInputs = inputs.read();
      if (chosenInputs.length) spec.inputs = chosenInputs;
      const paramValues = params.read();
      if (Object.keys(paramValues).length) spec.params = paramValues;
      const wanted = resources.read();
      if (Object.keys(wanted).length) spec.resources = wanted;
      if (timeout.value) spec.timeoutSeconds = Number(timeout.value);
      if (queue.value.trim()) spec.queue = queue.value.trim();
      if (priority.value) spec.priority = Number(priority.value);
      if (registerModel.value.trim()) spec.registerModel = {name: registerModel.value.trim()};
      const job = await api('POST', '/compute/v1/jobs', spec);
      location.assign(`/jobs/${job.id}`);
    } catch (error) {
      // 422 naming `image`: no node of the queue runs the template's image.
      showError(form, error.field === 'image' ? {field: 'template', message: error.message} : error);
    } finally {
      submit.disabled = false;
    }
  });

  fill(main, crumbs, h('div', {class: 'row jobs-head'}, h('h1', {}, title),
    h('a', {href: formURL(projectId, 'terminal'), id: 'job-terminal-form-link'}, 'Open a terminal instead')), form);
}
