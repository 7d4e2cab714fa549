// Placeholder until its page is written.
import {h} from '../dom.js';
export async function templatesPage(main) { main.append(h('h1', {}, 'Coming soon')); }
export async function templatePage(main) { main.append(h('h1', {}, 'Coming soon')); }
