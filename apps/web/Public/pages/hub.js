// The model hub's search: words, facets that filter, an order, pages. Every choice is kept in
// the URL's query (`/hub?q=&task=&framework=&tag=&stage=&owner=&order=&pageToken=`), so a view
// is a link and back/forward work; each click is a whole page load.
import {api, q} from '../api.js';
import {fill, formatTime, formatValue, h} from '../dom.js';
import {leaderboardView} from '../hub/board-view.js';

// The search's facets, in the order shown; each is also the query parameter that filters by it.
const facetNames = [['task', 'Task'], ['framework', 'Framework'], ['stage', 'Stage'], ['owner', 'Owner'],
  ['tag', 'Tags']];
const filterNames = facetNames.map(([name]) => name);
const orders = [['best', 'Best match'], ['recent', 'Most recent'], ['popular', 'Most deployed']];
const pageSize = 20;

/** The hub URL for the current query with `changes` applied (null removes a parameter). */
function hubURL(query, changes) {
  const next = new URLSearchParams(query);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === '') next.delete(name);
    else next.set(name, value);
  }
  // A new filter or order starts again at the first page.
  if (!('pageToken' in changes)) next.delete('pageToken');
  const text = next.toString();
  return '/hub' + (text ? '?' + text : '');
}

function facetList(query, name, label, values, me) {
  const active = query.get(name);
  return h('section', {class: 'hub-facet', dataset: {facet: name}},
    h('h3', {}, label),
    values.length === 0 ? h('p', {class: 'muted'}, 'None.') : h('ul', {},
      values.map(({value, count}) => {
        const text = name === 'owner' && value === me.id ? 'you' : String(value);
        const selected = active === String(value);
        return h('li', {},
          h('a', {class: 'facet-value' + (selected ? ' selected' : ''), dataset: {facet: name, value: String(value)},
            href: hubURL(query, {[name]: selected ? null : String(value)}),
            title: selected ? 'Remove this filter' : 'Show only these'},
          h('span', {class: 'facet-text'}, text), ' ', h('span', {class: 'facet-count'}, String(count))));
      })));
}

function result(version, me) {
  const label = version.label ? `${version.label} (v${version.number})` : `v${version.number}`;
  return h('a', {class: 'hub-result card', href: `/models/${q(version.modelId)}?version=${version.number}`,
    dataset: {modelId: version.modelId, version: version.number, versionId: version.id}},
  h('div', {class: 'hub-result-head'},
    h('strong', {class: 'hub-result-name'}, version.name), ' ',
    h('span', {class: 'hub-result-version'}, label), ' ',
    version.stage && version.stage !== 'none'
      ? h('span', {class: `hub-stage ${version.stage}`}, version.stage) : null),
  h('p', {class: 'hub-result-description'}, version.description || version.modelDescription || ''),
  h('div', {class: 'hub-result-facts muted'},
    version.task ? h('span', {}, `task ${version.task}`) : null,
    version.framework ? h('span', {}, `framework ${version.framework}`) : null,
    h('span', {}, `owner ${version.owner === me.id ? 'you' : version.owner}`),
    h('span', {class: 'hub-result-deploys'}, `${version.deployCount ?? 0} deploys`),
    h('span', {class: 'hub-result-score'}, `score ${formatValue(version.score)}`),
    h('span', {}, formatTime(version.createdAt))));
}

/** Search and Leaderboards: two views of the hub, each a link. */
function views(current) {
  return h('p', {class: 'hub-views row'},
    h('a', {href: '/hub', id: 'hub-view-search', class: current === 'search' ? 'hub-chip selected' : 'hub-chip'}, 'Search'),
    h('a', {href: '/hub?view=leaderboard', id: 'hub-view-leaderboard',
      class: current === 'leaderboard' ? 'hub-chip selected' : 'hub-chip'}, 'Leaderboards'));
}

export async function hubPage(main, {me}) {
  const query = new URLSearchParams(location.search);
  if (query.get('view') === 'leaderboard') {
    return fill(main, h('h1', {}, 'Model hub'), views('leaderboard'), await leaderboardView(query));
  }
  const order = query.get('order') || 'best';
  const words = h('input', {id: 'hub-q', type: 'search', name: 'q', value: query.get('q') || '',
    placeholder: 'Search models: name, task, framework, tags, authors…', class: 'wide'});
  const orderSelect = h('select', {id: 'hub-order', name: 'order', 'aria-label': 'Order',
    onchange: () => location.assign(hubURL(query, {order: orderSelect.value === 'best' ? null : orderSelect.value}))},
  orders.map(([value, label]) => h('option', {value, selected: value === order}, label)));

  const search = new URLSearchParams();
  for (const name of ['q', ...filterNames]) if (query.get(name)) search.set(name, query.get(name));
  search.set('order', order);
  search.set('limit', String(pageSize));
  if (query.get('pageToken')) search.set('pageToken', query.get('pageToken'));
  const answer = await api('GET', '/mlhub/v1/search?' + search.toString());

  const active = filterNames.filter((name) => query.get(name));
  const offset = Number(query.get('pageToken') || 0);
  fill(main,
    h('h1', {}, 'Model hub'),
    views('search'),
    h('form', {class: 'row', id: 'hub-search', role: 'search', onsubmit: (event) => {
      event.preventDefault();
      location.assign(hubURL(query, {q: words.value.trim()}));
    }}, words, h('button', {type: 'submit', id: 'hub-search-submit'}, 'Search'), orderSelect),
    active.length ? h('p', {class: 'row', id: 'hub-filters'}, 'Filtered by ', active.map((name) =>
      h('a', {class: 'hub-filter hub-chip', href: hubURL(query, {[name]: null}), dataset: {facet: name},
        title: 'Remove this filter'}, `${name}: ${name === 'owner' && query.get(name) === me.id ? 'you' : query.get(name)} ×`)),
    h('a', {href: hubURL(query, Object.fromEntries(active.map((name) => [name, null])))}, 'clear all')) : null,
    h('div', {class: 'hub-layout'},
      // Facets fold away on a phone, where they would push the results below the fold.
      h('aside', {class: 'hub-facets card', id: 'hub-facets'},
        h('details', {open: !matchMedia('(max-width: 700px)').matches},
          h('summary', {}, active.length ? `Filters (${active.length})` : 'Filters'),
          facetNames.map(([name, label]) => facetList(query, name, label, answer.facets?.[name] || [], me)))),
      h('section', {class: 'hub-main'},
        h('p', {class: 'muted', id: 'hub-total', dataset: {total: answer.total ?? answer.items.length}},
          answer.items.length === 0 ? 'No models match.'
            : `${offset + 1}–${offset + answer.items.length} of ${answer.total ?? '?'} versions`),
        h('div', {id: 'hub-results'}, answer.items.map((version) => result(version, me))),
        h('p', {class: 'row'},
          offset > 0 ? h('a', {id: 'hub-previous', href: hubURL(query,
            {pageToken: offset - pageSize > 0 ? String(offset - pageSize) : null})}, '← Previous page') : null,
          answer.nextPageToken ? h('a', {id: 'hub-next', href: hubURL(query, {pageToken: answer.nextPageToken})},
            'Next page →') : null))));
}
