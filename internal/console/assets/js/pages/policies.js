// Policies.
import { h, page } from '../ui.js';

export const routes = [
  { path: '/policies', title: 'Policies', render: (view) => page(view, 'Policies', h('p', { class: 'muted' }, 'Coming soon.')) },
];
