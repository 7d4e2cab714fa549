// A model version's files, each a download link through the gateway (the hub says where).
import {api, q} from '../api.js';
import {h} from '../dom.js';

export async function filesPanel(model, version) {
  let files;
  try {
    files = (await api('GET', `/mlhub/v1/models/${q(model.id)}/versions/${version.number}/files`)).items;
  } catch (error) {
    return h('p', {class: 'error', id: 'version-files'}, error.message);
  }
  if (files.length === 0) return h('p', {class: 'muted', id: 'version-files'}, 'No files.');
  return h('ul', {id: 'version-files', class: 'hub-files'}, files.map((file) => {
    const name = file.name || file.path;
    return h('li', {},
      h('a', {class: 'download', href: file.downloadPath, download: name.split('/').pop(), dataset: {path: name}}, name),
      ' ', h('span', {class: 'muted'}, `${file.size ?? ''} bytes`));
  }));
}
