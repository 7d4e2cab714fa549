// A job's inputs, as the submit and terminal forms pick them: the final versions of the
// project's datasets, one checkbox each, in a field whose error slot is the API's `inputs`
// (an error naming `inputs.0` lands there too).
import {api, q} from '../api.js';
import {h} from '../dom.js';

/** The final versions of the project's datasets, as {id, label}; none when data cannot say. */
export async function finalVersions(projectId) {
  try {
    const datasets = (await api('GET', `/data/v1/projects/${q(projectId)}/datasets?limit=200`)).items;
    const lists = await Promise.all(datasets.map(async (dataset) => {
      const versions = (await api('GET', `/data/v1/datasets/${q(dataset.id)}/versions?limit=200`)).items;
      return versions.filter((version) => version.state === 'final')
        .map((version) => ({id: version.id, label: `${dataset.name} v${version.number}`}));
    }));
    return lists.flat();
  } catch (error) {
    return [];
  }
}

/** The checkboxes (`input.job-input[value=<version id>]` in `#<id>`) → {element, read()}. */
export function inputsField(versions, {id = 'job-inputs'} = {}) {
  const boxes = h('div', {class: 'job-inputs', id},
    versions.length === 0 ? h('p', {class: 'muted'}, 'The project has no final dataset versions.')
      : versions.map((version) => h('label', {class: 'check'},
        h('input', {type: 'checkbox', value: version.id, class: 'job-input'}), ' ', version.label)));
  const element = h('div', {class: 'field', dataset: {field: 'inputs'}},
    h('span', {class: 'field-label'}, 'Dataset versions (inputs)'), boxes,
    h('small', {class: 'muted field-hint'}, 'One is mounted at /data, several at /data/<version id>.'),
    h('span', {class: 'field-error error', role: 'alert', dataset: {errorFor: 'inputs'}}));
  /** The ticked versions' ids, in the order listed. */
  const read = () => [...boxes.querySelectorAll('.job-input:checked')].map((box) => box.value);
  return {element, read};
}
