// Placeholder until its page is written.
import {h} from '../dom.js';
export async function taggedPage(main) { main.append(h('h1', {}, 'Coming soon')); }
