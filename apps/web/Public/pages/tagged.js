// A project's labels: every tag with how many entities carry it, and for the chosen tag the
// entities carrying it (paged), each linked to its own page.
import {api, q} from '../api.js';
import {errorBox, fill, formatTime, h} from '../dom.js';
import {taggedURL} from '../tags.js';

const kinds = ['project', 'experiment', 'run', 'dataset', 'datasetVersion', 'job', 'model', 'modelVersion'];

/** Asks for an entity's record; null when it cannot be read (deleted, or its service is down). */
async function record(path) {
  try {
    return await api('GET', path);
  } catch {
    return null;
  }
}

/** The entity's name and page, where there are: `{name, href}` (each may be missing). */
async function describe(item) {
  const id = q(item.entityId);
  switch (item.kind) {
    case 'run': return {name: (await record(`/data/v1/runs/${id}`))?.name, href: `/runs/${id}`};
    case 'job': return {name: (await record(`/compute/v1/jobs/${id}`))?.name, href: `/jobs/${id}`};
    case 'model': return {name: (await record(`/mlhub/v1/models/${id}`))?.name, href: `/models/${id}`};
    case 'dataset': return {name: (await record(`/data/v1/datasets/${id}`))?.name, href: `/datasets/${id}`};
    case 'project': return {name: (await record(`/data/v1/projects/${id}`))?.name, href: `/projects/${id}`};
    case 'experiment': return {href: `/projects/${q(item.projectId)}?experiment=${id}`};
    case 'datasetVersion': {
      // A version's page is its dataset's.
      const version = await record(`/data/v1/dataset-versions/${id}`);
      if (!version) return {};
      const dataset = await record(`/data/v1/datasets/${q(version.datasetId)}`);
      return {name: `${dataset?.name || 'dataset'} version ${version.number ?? ''}`,
        href: `/datasets/${q(version.datasetId)}`};
    }
    // The hub has no lookup of a version by its id alone, so a model version shows its id.
    default: return {};
  }
}

/** The entity's cell: its name (or id) linked to its page where it has one, and its id. */
async function entityCell(item) {
  const {name, href} = await describe(item);
  const label = name || item.entityId;
  return h('td', {class: 'tag-entity'},
    href ? h('a', {href, class: 'tagged-link'}, label) : h('span', {}, label),
    name ? h('div', {class: 'muted mono'}, item.entityId) : null);
}

/** The entities carrying `tag` (of `kind`), 50 at a time. */
async function taggedList(projectId, tag, kind) {
  const rows = h('tbody', {});
  const more = h('button', {type: 'button', class: 'link', id: 'tagged-more'}, 'More');
  const box = h('div', {});
  // A key alone matches every value of it: then each row says which it carries.
  const anyValue = !tag.includes(':');
  let after = null;
  async function page() {
    const answer = await api('GET', `/tag/v1/projects/${q(projectId)}/tagged?tag=${q(tag)}&limit=50` +
      (kind ? `&kind=${q(kind)}` : '') + (after ? `&after=${q(after)}` : ''));
    after = answer.nextAfter || null;
    rows.append(...await Promise.all(answer.items.map(async (item) =>
      h('tr', {dataset: {entityId: item.entityId, kind: item.kind, tag: item.tag}},
        h('td', {class: 'tag-kind'}, item.kind), await entityCell(item),
        anyValue ? h('td', {class: 'tagged-tag'}, item.tag) : null,
        h('td', {class: 'tag-time'}, formatTime(item.createdAt))))));
    more.classList.toggle('hidden', !after);
    return answer.items.length;
  }
  more.addEventListener('click', () => page().catch((error) => box.append(errorBox(error))));
  const count = await page();
  return fill(box, count === 0 ? h('p', {class: 'muted', id: 'tagged-none'}, 'Nothing carries this label.') :
    h('div', {class: 'scroll'}, h('table', {class: 'grid tag-table', id: 'tagged-table'},
      h('thead', {}, h('tr', {}, h('th', {}, 'Kind'), h('th', {}, 'Entity'), anyValue ? h('th', {}, 'Label') : null,
        h('th', {}, 'Labelled'))), rows)), more);
}

export async function taggedPage(main, {params: [projectId]}) {
  const params = new URLSearchParams(location.search);
  const tag = params.get('tag') || '';
  const kind = params.get('kind') || '';
  const go = (nextTag, nextKind) => location.assign(`/projects/${q(projectId)}/tags?` +
    new URLSearchParams(Object.entries({tag: nextTag, kind: nextKind}).filter(([, value]) => value)).toString());
  const [project, counts] = await Promise.all([
    api('GET', `/data/v1/projects/${q(projectId)}`),
    api('GET', `/tag/v1/projects/${q(projectId)}/tags` + (kind ? `?kind=${q(kind)}` : '')),
  ]);
  const kindSelect = h('select', {id: 'tagged-kind', onchange: () => go(tag, kindSelect.value)},
    h('option', {value: ''}, 'every kind'),
    kinds.map((name) => h('option', {value: name, selected: name === kind}, name)));
  const tagInput = h('input', {id: 'tagged-tag', value: tag, placeholder: 'key or key:value',
    'aria-label': 'Label (a key alone matches every value)'});
  let results = null;
  if (tag) {
    results = h('section', {class: 'card', id: 'tagged'},
      h('h2', {}, 'Labelled ', h('span', {class: 'tag-chip tag-chip-static'}, tag), kind ? ` (${kind})` : ''));
    try {
      results.append(await taggedList(projectId, tag, kind));
    } catch (error) {
      results.append(errorBox(error));
    }
  }
  fill(main,
    h('p', {class: 'crumbs'}, h('a', {href: '/projects'}, 'Projects'), ' / ',
      h('a', {href: `/projects/${q(projectId)}`}, project.name), ' / '),
    h('h1', {}, 'Labels'),
    h('form', {class: 'row', onsubmit: (event) => {
      event.preventDefault();
      go(tagInput.value.trim(), kindSelect.value);
    }}, h('label', {}, 'Kind ', kindSelect), tagInput, h('button', {type: 'submit', id: 'tagged-show'}, 'Show')),
    results,
    h('section', {class: 'card'}, h('h2', {}, 'Labels in this project'),
      counts.items.length === 0 ? h('p', {class: 'muted', id: 'tag-counts'}, 'No labels yet.') :
        h('ul', {class: 'tag-chips tag-counts', id: 'tag-counts'}, counts.items.map((count) =>
          h('li', {class: `tag-chip${count.tag === tag ? ' tag-chip-selected' : ''}`, dataset: {tag: count.tag}},
            h('a', {href: taggedURL(projectId, count.tag, kind), class: 'tag-count'}, count.tag,
              ' ', h('span', {class: 'tag-count-number'}, String(count.count))))))));
}
