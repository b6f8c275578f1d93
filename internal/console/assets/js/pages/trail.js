// Trail.
import { h, page } from '../ui.js';

export const routes = [
  { path: '/trail', title: 'Trail', render: (view) => page(view, 'Trail', h('p', { class: 'muted' }, 'Coming soon.')) },
];
