// The tag service's labels (`key` or `key:value`) on any entity page: list, add, remove, each
// linking to the project's "by tag" view. Kinds as docs/tag.md names them: project, experiment,
// run, dataset, datasetVersion, job, model, modelVersion.
import {api, q} from './api.js';
import {fill, h} from './dom.js';

/** The project's "by tag" view for `tag` (`key` or `key:value`). */
export function taggedURL(projectId, tag, kind) {
  return `/projects/${q(projectId)}/tags?tag=${q(tag)}` + (kind ? `&kind=${q(kind)}` : '');
}

/** What a failed call means to the person looking at the panel. */
function explain(error, kind) {
  if (error.status === 403) return 'Viewers can read labels but not change them.';
  if (error.status === 404 && error.code !== undefined && /no tag/.test(error.message)) return error.message;
  if (error.status === 404) {
    return `The tag service has not heard of this ${kind} yet (it learns of new things from the platform's ` +
      'events within seconds); reload the page to try again.';
  }
  return error.message || String(error);
}

// One question per project and page load, however many panels the page has (a dataset's versions).
const roles = new Map();

/** The caller's role on the project (data's `yourRole`), or null when it cannot be read. */
function roleOn(projectId) {
  if (!roles.has(projectId)) {
    roles.set(projectId, api('GET', `/data/v1/projects/${q(projectId)}`).then(
      (project) => project.yourRole || null, () => null));
  }
  return roles.get(projectId);
}

/**
 * A panel of the entity's tags; `projectId` links each tag to /projects/<id>/tags?tag=…. It is
 * returned at once and fills itself. The page's main panel carries the ids the contract names
 * (`#entity-tags`, `#tag-input`, `#tag-add`); `{secondary: true}` (several panels on one page,
 * a dataset's versions) leaves them out and keeps the classes.
 * Add and remove are shown to editors and owners only: the panel reads the caller's role on the
 * project (data's `yourRole`) with the tags, and hides them too if a change answers 403.
 */
export function tagPanel(kind, id, projectId, {secondary = false} = {}) {
  const base = `/tag/v1/entities/${q(kind)}/${q(id)}/tags`;
  const chips = h('ul', {class: 'tag-chips'});
  const message = h('div', {class: 'tag-message error', role: 'alert'});
  const input = h('input', {id: secondary ? null : 'tag-input', class: 'tag-input', maxlength: 301,
    placeholder: 'key or key:value', 'aria-label': 'New label (key or key:value)'});
  const add = h('button', {type: 'submit', id: secondary ? null : 'tag-add', class: 'tag-add'}, 'Add label');
  const form = h('form', {class: 'row tag-form hidden', onsubmit: (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    change(async () => {
      draw((await api('POST', base, {tags: [text]})).items);
      input.value = '';
    });
  }}, input, add);
  const panel = h(secondary ? 'div' : 'section', {
    class: secondary ? 'tag-panel tag-panel-secondary' : 'card tag-panel', id: secondary ? null : 'entity-tags',
    dataset: {kind, entityId: id, projectId, state: 'loading'},
  }, h(secondary ? 'h4' : 'h2', {}, 'Labels'), chips, form, message);
  let canEdit = true;

  function readOnly() {
    canEdit = false;
    panel.dataset.canEdit = 'false';
    form.classList.add('hidden');
    for (const button of chips.querySelectorAll('.tag-remove')) button.remove();
  }

  async function change(call) {
    fill(message);
    add.disabled = true;
    try {
      await call();
    } catch (error) {
      fill(message, explain(error, kind));
      if (error.status === 403) readOnly();
    } finally {
      add.disabled = false;
    }
  }

  function chip(tag) {
    const text = tag.value === undefined || tag.value === null ? tag.key : `${tag.key}:${tag.value}`;
    const remove = () => change(async () => {
      const value = tag.value === undefined || tag.value === null ? '' : `&value=${q(tag.value)}`;
      await api('DELETE', `${base}?key=${q(tag.key)}${value}`);
      item.remove();
      if (!chips.querySelector('.tag-chip')) fill(chips, h('li', {class: 'muted tag-none'}, 'No labels.'));
    });
    const item = h('li', {class: 'tag-chip', dataset: {tag: text}},
      h('a', {href: taggedURL(projectId, text), title: `Everything in the project labelled ${text}`},
        h('span', {class: 'tag-key'}, tag.key),
        tag.value === undefined || tag.value === null ? null : [':', h('span', {class: 'tag-value'}, tag.value)]),
      canEdit ? h('button', {type: 'button', class: 'tag-remove', title: `Remove ${text}`,
        'aria-label': `Remove label ${text}`, onclick: remove}, '×') : null);
    return item;
  }

  function draw(tags) {
    fill(chips, tags.length ? tags.map(chip) : h('li', {class: 'muted tag-none'}, 'No labels.'));
  }

  // An entity created a moment ago may not have reached the tag service yet: it waits 2 s
  // itself before a 404, and the panel asks once more after that.
  const read = () => api('GET', base).catch(async (error) => {
    if (error.status !== 404) throw error;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return api('GET', base);
  });
  (async () => {
    const [tags, role] = await Promise.all([read(), roleOn(projectId)]);
    if (role === 'viewer') readOnly();
    else panel.dataset.canEdit = 'true';
    draw(tags.items);
    if (canEdit) form.classList.remove('hidden');
    panel.dataset.state = 'ready';
  })().catch((error) => {
    fill(message, explain(error, kind));
    form.classList.add('hidden');
    panel.dataset.state = 'error';
  });
  return panel;
}
