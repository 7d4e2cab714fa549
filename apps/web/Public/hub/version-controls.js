// Stage and aliases of a model version. Everyone sees them; editors of the model's project
// (the only ones the hub lets change them) also get the controls to move the stage and to set
// or remove aliases. `changed` redraws the page once the hub has answered.
import {api, q} from '../api.js';
import {errorBox, fill, h} from '../dom.js';

const stages = ['none', 'staging', 'production', 'archived'];

export function stageBadge(stage) {
  return h('span', {class: `hub-stage ${stage || 'none'}`}, stage || 'none');
}

function stageControls(model, version, message, changed) {
  const select = h('select', {id: 'stage-select', 'aria-label': 'New stage'},
    stages.map((stage) => h('option', {value: stage, selected: stage === version.stage}, stage)));
  const archiveOthers = h('input', {type: 'checkbox', id: 'archive-others'});
  return h('form', {class: 'row', id: 'stage-form', onsubmit: async (event) => {
    event.preventDefault();
    fill(message);
    try {
      await api('PUT', `/mlhub/v1/models/${q(model.id)}/versions/${version.number}/stage`,
        {stage: select.value, archiveOthers: archiveOthers.checked});
      await changed();
    } catch (error) { fill(message, errorBox(error)); }
  }}, h('label', {}, 'Move to ', select),
  h('label', {}, archiveOthers, ' archive the other versions in that stage'),
  h('button', {type: 'submit', id: 'stage-save'}, 'Change stage'));
}

function aliasControls(model, version, canEdit, message, changed) {
  const name = h('input', {id: 'alias-name', placeholder: 'alias, e.g. champion', required: true,
    pattern: '[a-z0-9_-]+', title: 'a-z, 0-9, _ and -'});
  async function call(method, alias, body) {
    fill(message);
    try {
      await api(method, `/mlhub/v1/models/${q(model.id)}/aliases/${q(alias)}`, body);
      await changed();
    } catch (error) { fill(message, errorBox(error)); }
  }
  return h('div', {id: 'version-aliases'},
    h('span', {class: 'keys'}, version.aliases.length === 0 ? h('span', {class: 'muted'}, 'No aliases.') :
      version.aliases.map((alias) => h('span', {class: 'hub-alias', dataset: {alias}}, alias,
        canEdit ? h('button', {type: 'button', class: 'link alias-remove', title: `Remove ${alias}`,
          'aria-label': `Remove alias ${alias}`, onclick: () => call('DELETE', alias)}, '×') : null))),
    canEdit ? h('form', {class: 'row', id: 'alias-form', onsubmit: (event) => {
      event.preventDefault();
      call('PUT', name.value.trim(), {version: version.number});
    }}, name, h('button', {type: 'submit', id: 'alias-set'}, 'Point alias here')) : null);
}

/** The stage and alias rows of the version's facts; controls only when `canEdit`. */
export function versionControls(model, version, canEdit, changed) {
  const message = h('div', {id: 'version-error'});
  return {
    stage: h('div', {},
      h('span', {id: 'version-stage', dataset: {stage: version.stage}}, stageBadge(version.stage)),
      canEdit ? stageControls(model, version, message, changed) : null),
    aliases: aliasControls(model, version, canEdit, message, changed),
    message,
  };
}
