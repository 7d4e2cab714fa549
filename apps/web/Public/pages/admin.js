// Administration: accounts (disable, enable, role) and signing key rotation. Only admins get
// the page; the API answers 403 to anyone else whatever this page shows.
import {fill, h} from '../dom.js';
import {keysPanel} from '../account/admin-keys.js';
import {usersPanel} from '../account/admin-users.js';

export async function adminPage(main, {me}) {
  if (me.role !== 'admin') {
    fill(main, h('h1', {}, 'Administration'),
      h('section', {class: 'card admin-only', id: 'admin-only'},
        h('p', {}, 'This page is for administrators only.'),
        h('p', {}, h('a', {href: '/account'}, 'Your account'))));
    return;
  }
  const [users, keys] = await Promise.all([usersPanel(me), keysPanel()]);
  fill(main, h('h1', {}, 'Administration'), users, keys);
}
