// Placeholder until its page is written.
import {h} from '../dom.js';
export async function hubPage(main) { main.append(h('h1', {}, 'Coming soon')); }
