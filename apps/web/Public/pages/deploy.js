// Deploy a model version (`/models/<id>/versions/<v>/deploy`): a form generated from the
// version's parameter schema, the project to run in (those where the caller may edit), the
// resources (the card's, changeable), a timeout and a name. The browser checks the schema's
// constraints first; the hub checks again and its `parameters.<name>` errors land beside their
// field. A deploy either runs once (a compute job: on success the job's page opens) or serves
// (`service: {replicas, idleSeconds}`, a compute deployment: on success its /serving/<id> page
// opens; docs/deployments.md).
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

/** The longest idle time compute takes (30 days), in minutes. */
const MAX_IDLE_MINUTES = 30 * 24 * 60;

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

  // Run once or serve: the serving fields and the job's timeout show for their own choice only
  // (a replica runs as long as a job may; compute replaces it when it ends).
  const modeInput = (value, label, checked) => h('label', {class: 'check deploy-mode-choice'},
    h('input', {type: 'radio', name: 'deploy-mode', id: `deploy-mode-${value}`, value, checked}), ' ', label);
  const modes = h('fieldset', {class: 'deploy-mode', id: 'deploy-mode'}, h('legend', {}, 'How it runs'),
    modeInput('job', 'Run once (a job)', true), modeInput('service', 'Serve (a deployment)', false));
  const replicas = numberInput('deploy-replicas', 1, {min: '1', max: '16', step: '1', required: true});
  const idleMinutes = numberInput('deploy-idle', '', {min: '1', max: String(MAX_IDLE_MINUTES), step: '1',
    placeholder: 'never'});
  const serviceFields = h('div', {id: 'deploy-service', class: 'hub-resources', hidden: true},
    field('Replicas', replicas, 'service.replicas', '1 to 16, answering in turn'),
    field('Scale to zero after (minutes idle)', idleMinutes, 'service.idleSeconds',
      'optional: stopped when unused, started again by the next request'));
  const timeoutField = field('Timeout (seconds)', timeout, 'timeoutSeconds');
  const serving = () => modes.querySelector('input:checked')?.value === 'service';
  modes.addEventListener('change', () => {
    serviceFields.hidden = !serving();
    timeoutField.hidden = serving();
    // Hidden fields must not block the form with their checks.
    replicas.disabled = idleMinutes.disabled = !serving();
    timeout.disabled = serving();
    submit.textContent = serving() ? 'Deploy as a service' : 'Deploy';
    name.placeholder = `${serving() ? 'serve' : 'deploy'} ${model.name}@${version.number}`;
  });
  replicas.disabled = idleMinutes.disabled = true;

  const form = h('form', {id: 'deploy-form', class: 'card hub-deploy', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!checkFields(form)) return;
    const body = {projectId: project.value, parameters: schema.values()};
    const wanted = {cpus: cpus.valueAsNumber, memoryMB: memory.valueAsNumber, gpus: gpus.valueAsNumber};
    body.resources = Object.fromEntries(Object.entries(wanted).filter(([, value]) => Number.isFinite(value)));
    if (serving()) {
      body.service = {replicas: replicas.valueAsNumber};
      if (Number.isFinite(idleMinutes.valueAsNumber)) body.service.idleSeconds = Math.round(idleMinutes.valueAsNumber * 60);
    } else if (Number.isFinite(timeout.valueAsNumber)) {
      body.timeoutSeconds = timeout.valueAsNumber;
    }
    if (name.value.trim()) body.name = name.value.trim();
    submit.disabled = true;
    try {
      const answer = await api('POST', `/mlhub/v1/models/${q(model.id)}/versions/${version.number}/deploy`, body);
      location.assign(answer.deploymentId ? '/serving/' + encodeURIComponent(answer.deploymentId)
        : '/jobs/' + encodeURIComponent(answer.jobId));
    } catch (error) {
      // Compute names a deployment's own fields without the `service.` the form sends them under.
      if (serving() && ['replicas', 'idleSeconds'].includes(error.field)) error.field = `service.${error.field}`;
      showError(form, error);
      submit.disabled = false;
    }
  }},
  h('h2', {}, 'Parameters'),
  schema.names.length ? schema.fields : h('p', {class: 'muted', id: 'deploy-no-parameters'}, 'This model takes no parameters.'),
  h('p', {class: 'muted'}, '* required'),
  h('h2', {}, 'Where and with what'),
  modes, serviceFields,
  field('Project', project, 'projectId', 'it runs there (you need the editor role)'),
  h('div', {class: 'hub-resources'},
    field('CPUs', cpus, 'resources.cpus'),
    field('Memory (MB)', memory, 'resources.memoryMB'),
    field('GPUs', gpus, 'resources.gpus')),
  timeoutField,
  field('Name', name, 'name'),
  formError(),
  h('p', {class: 'row'}, submit, h('a', {href: back}, 'Cancel')));

  fill(main, heading,
    version.deploy.inputs || version.deploy.outputs ? h('section', {class: 'card', id: 'deploy-io'},
      version.deploy.inputs ? h('p', {}, h('strong', {}, 'Reads: '), version.deploy.inputs) : null,
      version.deploy.outputs ? h('p', {}, h('strong', {}, 'Writes: '), version.deploy.outputs) : null) : null,
    form);
}
