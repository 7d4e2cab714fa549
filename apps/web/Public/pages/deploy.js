// Deploy a model version (`/models/<id>/versions/<v>/deploy`): a form generated from the
// version's parameter schema, the project to run in (those where the caller may edit), the
// resources (the card's, changeable), a timeout and a name. The browser checks the schema's
// constraints first; the hub checks again and its `parameters.<name>` errors land beside their
// field. A deploy is a compute job: on success the job's page opens.
import {api, q} from '../api.js';
import {fill, h} from '../dom.js';
import {checkFields, clearErrors, field, formError, showError} from '../forms.js';
import {schemaFields} from '../hub/schema-form.js';
import {isDeployable} from './model.js';

/** The projects the caller may run jobs in (editor or owner), each with its name. */
async function editableProjects() {
  const projects = (await api('GET', '/data/v1/projects?limit=500')).items;
  const withRoles = await Promise.all(projects.map((project) =>
    api('GET', `/data/v1/projects/${q(project.id)}`).catch(() => null)));
  return withRoles.filter((project) => project && (project.yourRole === 'editor' || project.yourRole === 'owner'));
}

function numberInput(id, value, attributes = {}) {
  return h('input', {id, type: 'number', value: value === undefined || value === null ? '' : String(value),
    ...attributes});
}

export async function deployPage(main, {params: [modelId, versionRef]}) {
  const model = await api('GET', `/mlhub/v1/models/${q(modelId)}`);
  const version = await api('GET', `/mlhub/v1/models/${q(modelId)}/versions/${q(versionRef)}`);
  const back = `/models/${q(model.id)}?version=${version.number}`;
  const heading = [
    h('p', {class: 'crumbs'}, h('a', {href: '/hub'}, 'Hub'), ' / ', h('a', {href: back}, model.name), ' / '),
    h('h1', {}, `Deploy ${model.name} v${version.number}`, version.label ? ` (${version.label})` : ''),
  ];
  if (!isDeployable(version)) {
    return fill(main, heading, h('p', {class: 'error', id: 'deploy-unavailable'},
      'This version has no run instructions (only versions from ingested model packages can be deployed).'));
  }
  const projects = await editableProjects();
  if (projects.length === 0) {
    return fill(main, heading, h('p', {class: 'error', id: 'deploy-unavailable'},
      'You may not run jobs in any project: deploying needs the editor role on a project.'));
  }

  const schema = schemaFields(version.deploy.parameters);
  const resources = version.deploy.resources || {};
  const project = h('select', {id: 'deploy-project', required: true},
    projects.map((item) => h('option', {value: item.id, selected: item.id === model.projectId}, item.name)));
  const cpus = numberInput('deploy-cpus', resources.cpus, {min: '0.01', step: 'any'});
  const memory = numberInput('deploy-memory', resources.memoryMB, {min: '16', step: '1'});
  const gpus = numberInput('deploy-gpus', resources.gpus, {min: '0', step: '1'});
  const timeout = numberInput('deploy-timeout', '', {min: '1', step: '1', placeholder: 'no limit'});
  const name = h('input', {id: 'deploy-name', placeholder: `deploy ${model.name}@${version.number}`, maxlength: '200'});
  const submit = h('button', {type: 'submit', id: 'deploy-submit'}, 'Deploy');

  const form = h('form', {id: 'deploy-form', class: 'card hub-deploy', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkFields(form)) return;
    const body = {projectId: project.value, parameters: schema.values()};
    const wanted = {cpus: cpus.valueAsNumber, memoryMB: memory.valueAsNumber, gpus: gpus.valueAsNumber};
    body.resources = Object.fromEntries(Object.entries(wanted).filter(([, value]) => Number.isFinite(value)));
    if (Number.isFinite(timeout.valueAsNumber)) body.timeoutSeconds = timeout.valueAsNumber;
    if (name.value.trim()) body.name = name.value.trim();
    submit.disabled = true;
    try {
      const answer = await api('POST', `/mlhub/v1/models/${q(model.id)}/versions/${version.number}/deploy`, body);
      location.assign('/jobs/' + encodeURIComponent(answer.jobId));
    } catch (error) {
      showError(form, error);
      submit.disabled = false;
    }
  }},
  h('h2', {}, 'Parameters'),
  schema.names.length ? schema.fields : h('p', {class: 'muted', id: 'deploy-no-parameters'}, 'This model takes no parameters.'),
  h('p', {class: 'muted'}, '* required'),
  h('h2', {}, 'Where and with what'),
  field('Project', project, 'projectId', 'the job runs there (you need the editor role)'),
  h('div', {class: 'hub-resources'},
    field('CPUs', cpus, 'resources.cpus'),
    field('Memory (MB)', memory, 'resources.memoryMB'),
    field('GPUs', gpus, 'resources.gpus')),
  field('Timeout (seconds)', timeout, 'timeoutSeconds'),
  field('Job name', name, 'name'),
  formError(),
  h('p', {class: 'row'}, submit, h('a', {href: back}, 'Cancel')));

  fill(main, heading,
    version.deploy.inputs || version.deploy.outputs ? h('section', {class: 'card', id: 'deploy-io'},
      version.deploy.inputs ? h('p', {}, h('strong', {}, 'Reads: '), version.deploy.inputs) : null,
      version.deploy.outputs ? h('p', {}, h('strong', {}, 'Writes: '), version.deploy.outputs) : null) : null,
    form);
}
