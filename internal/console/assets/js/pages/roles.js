// Roles.
import { h, page } from '../ui.js';

export const routes = [
  { path: '/simulator', title: 'Simulator', render: (view) => page(view, 'Simulator', h('p', { class: 'muted' }, 'Coming soon.')) },
  { path: '/roles', title: 'Roles', render: (view) => page(view, 'Roles', h('p', { class: 'muted' }, 'Coming soon.')) },
];
