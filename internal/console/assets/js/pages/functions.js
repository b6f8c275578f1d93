// Functions: the list, and a function's configuration, code, versions,
// aliases, permissions, test, monitor and triggers.
import { h, link, page, table, loading, formatTime } from '../ui.js';
import { list } from '../api.js';

export const routes = [
  { path: '/functions', title: 'Functions', render: renderList },
];

async function renderList(view, ctx) {
  const body = h('div');
  page(view, 'Functions', body);
  await loading(body, async () => {
    const out = await ctx.client.lambda('GET', '/2015-03-31/functions/');
    return table({
      columns: [
        { title: 'Function name', value: (f) => link(`/functions/${encodeURIComponent(f.FunctionName)}`, f.FunctionName) },
        { title: 'Runtime', value: (f) => f.Runtime || f.PackageType },
        { title: 'Last modified', value: (f) => formatTime(f.LastModified) },
      ],
      rows: list(out.Functions),
      empty: 'No functions yet.',
    });
  });
}
