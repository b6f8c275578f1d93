// Least privilege.
import { h, page } from '../ui.js';

export const routes = [
  { path: '/least-privilege', title: 'Least privilege', render: (view) => page(view, 'Least privilege', h('p', { class: 'muted' }, 'Coming soon.')) },
];
