// Sign in or register. The gateway answers with HttpOnly cookies; nothing here touches a token.
import {session} from '../api.js';
import {errorBox, fill, h} from '../dom.js';

function nextPath() {
  const next = new URLSearchParams(location.search).get('next') || '/projects';
  // Only paths of this site: a crafted link must not send a fresh session elsewhere.
  return next.startsWith('/') && !next.startsWith('//') ? next : '/projects';
}

export async function signInPage(main) {
  const message = h('div', {id: 'signin-error'});
  const email = h('input', {id: 'email', type: 'email', name: 'email', autocomplete: 'username', required: true});
  const password = h('input', {
    id: 'password', type: 'password', name: 'password', autocomplete: 'current-password', required: true});
  const displayName = h('input', {id: 'display-name', name: 'displayName', autocomplete: 'name'});
  let registering = false;
  const nameRow = h('label', {class: 'hidden', id: 'name-row'}, 'Display name', displayName);
  const submit = h('button', {type: 'submit', id: 'signin-submit'}, 'Sign in');
  const toggle = h('button', {type: 'button', class: 'link', id: 'register-toggle', onclick: () => {
    registering = !registering;
    nameRow.classList.toggle('hidden', !registering);
    submit.textContent = registering ? 'Register' : 'Sign in';
    toggle.textContent = registering ? 'I have an account' : 'Create an account';
  }}, 'Create an account');
  const form = h('form', {class: 'card narrow', id: 'signin-form', onsubmit: async (event) => {
    event.preventDefault();
    fill(message);
    try {
      if (registering) {
        await session('POST', '/ui/register',
          {email: email.value, password: password.value, displayName: displayName.value || email.value});
      } else {
        await session('POST', '/ui/session', {email: email.value, password: password.value});
      }
      location.assign(nextPath());
    } catch (error) {
      fill(message, errorBox(error));
    }
  }},
  h('h1', {}, 'Sign in to MLExchange'),
  h('label', {}, 'Email', email), h('label', {}, 'Password', password), nameRow,
  h('div', {class: 'row'}, submit, toggle), message);
  fill(main, form);
}
