// The application's entry: picks the page for the path, draws the header. Pages are whole
// page loads (each path serves index.html), so every view is a URL a colleague can open.
import {api, session} from './api.js';
import {errorBox, fill, h} from './dom.js';
import {signInPage} from './pages/signin.js';
import {projectsPage} from './pages/projects.js';
import {projectPage} from './pages/project.js';
import {runPage} from './pages/run.js';
import {comparePage} from './pages/compare.js';
import {datasetsPage, datasetPage} from './pages/datasets.js';
import {jobsPage} from './pages/jobs.js';
import {jobPage} from './pages/job.js';
import {jobSubmitPage} from './pages/job-submit.js';
import {terminalPage} from './pages/terminal.js';
import {deploymentPage, servingListPage} from './pages/serving.js';
import {nodesPage} from './pages/nodes.js';
import {templatesPage, templatePage} from './pages/templates.js';
import {hubPage} from './pages/hub.js';
import {modelPage} from './pages/model.js';
import {deployPage} from './pages/deploy.js';
import {ingestPage} from './pages/ingest.js';
import {taggedPage} from './pages/tagged.js';
import {accountPage} from './pages/account.js';
import {adminPage} from './pages/admin.js';

// Script errors and Content-Security-Policy violations are noted on <body data-page-errors>:
// the browser tests fail a page that has any.
function notePageError(text) {
  const errors = JSON.parse(document.body.dataset.pageErrors || '[]');
  errors.push(text);
  document.body.dataset.pageErrors = JSON.stringify(errors);
}
window.addEventListener('error', (event) => notePageError(`error: ${event.message}`));
window.addEventListener('unhandledrejection', (event) => notePageError(`rejection: ${event.reason}`));
document.addEventListener('securitypolicyviolation', (event) =>
  notePageError(`csp: ${event.violatedDirective} ${event.blockedURI}`));

const routes = [
  [/^\/signin$/, signInPage],
  [/^\/(projects)?$/, projectsPage],
  [/^\/projects\/([^/]+)\/datasets$/, datasetsPage],
  [/^\/projects\/([^/]+)\/tags$/, taggedPage],
  [/^\/projects\/([^/]+)$/, projectPage],
  [/^\/runs\/([^/]+)$/, runPage],
  [/^\/compare$/, comparePage],
  [/^\/datasets\/([^/]+)$/, datasetPage],
  [/^\/jobs$/, jobsPage],
  [/^\/jobs\/new$/, jobSubmitPage],
  [/^\/jobs\/([^/]+)$/, jobPage],
  [/^\/jobs\/([^/]+)\/terminal$/, terminalPage],
  // Not /deployments/…: on the gateway that is each deployment's own endpoint.
  [/^\/serving$/, servingListPage],
  [/^\/serving\/([^/]+)$/, deploymentPage],
  [/^\/nodes$/, nodesPage],
  [/^\/templates$/, templatesPage],
  [/^\/templates\/([^/]+)$/, templatePage],
  [/^\/hub$/, hubPage],
  [/^\/models\/([^/]+)$/, modelPage],
  [/^\/models\/([^/]+)\/versions\/([^/]+)\/deploy$/, deployPage],
  [/^\/ingest$/, ingestPage],
  [/^\/account$/, accountPage],
  [/^\/admin$/, adminPage],
];

async function header(main) {
  const nav = document.getElementById('nav');
  if (location.pathname === '/signin') return fill(nav);
  const me = await api('GET', '/users/v1/users/me');
  fill(nav,
    h('a', {href: '/projects'}, 'Projects'),
    h('a', {href: '/jobs'}, 'Jobs'),
    h('a', {href: '/serving', id: 'serving-link'}, 'Serving'),
    h('a', {href: '/nodes'}, 'Nodes'),
    h('a', {href: '/templates'}, 'Templates'),
    h('a', {href: '/hub'}, 'Hub'),
    h('a', {href: '/ingest'}, 'Ingest'),
    h('a', {href: '/account', id: 'account-link'}, 'Account'),
    me.role === 'admin' ? h('a', {href: '/admin', id: 'admin-link'}, 'Admin') : null,
    h('span', {class: 'who', id: 'who'}, me.displayName || me.email),
    h('button', {type: 'button', id: 'sign-out', onclick: async () => {
      await session('DELETE', '/ui/session');
      location.assign('/signin');
    }}, 'Sign out'));
  return me;
}

async function start() {
  const main = document.getElementById('main');
  try {
    const me = await header(main);
    for (const [pattern, page] of routes) {
      const match = location.pathname.match(pattern);
      if (match) {
        fill(main);
        await page(main, {me, params: match.slice(1).map(decodeURIComponent)});
        document.body.dataset.ready = 'true';
        // Panels drawn after load (a project's #members) are scrolled to once they exist.
        if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
        return;
      }
    }
    fill(main, h('h1', {}, 'Not found'), h('p', {}, 'No page here.'));
  } catch (error) {
    fill(main, h('h1', {}, error.status === 404 ? 'Not found' : 'Something went wrong'), errorBox(error));
  }
  document.body.dataset.ready = 'true';
}

start();
