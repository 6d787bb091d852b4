// Usage (master key only): /admin/usage grouped by key, model, day or route, one measure drawn as bars (chart.js)
// and every measure in a table beside it.
import { getJSON } from './api.js';
import { $, announce, busy, el } from './dom.js';
import { barChart, format } from './chart.js';

const COLUMNS = ['requests', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'characters', 'audio_seconds', 'images', 'cost', 'errors'];

function groupLabel(row, grouping) {
  if (grouping !== 'key') return row.group ?? `no ${grouping}`;
  if (row.group === null) return 'master key';
  if (row.group === 'none') return 'no valid key';
  return `${row.group} ${row.name ?? ''}`.trim();
}

async function show(root) {
  const grouping = $('#us-group', root).value;
  const metric = $('#us-metric', root).value;
  const query = new URLSearchParams({ group_by: grouping });
  const since = $('#us-since', root).value;
  const until = $('#us-until', root).value;
  if (since) query.set('since', since);
  if (until) query.set('until', until);
  const report = await getJSON(`/admin/usage?${query}`);
  const rows = report.data ?? [];
  const bars = rows.map((row) => ({ label: String(groupLabel(row, grouping)), value: Number(row[metric]) || 0 }));
  // Days read best in time order; every other grouping biggest first.
  if (grouping === 'day') bars.sort((a, b) => a.label.localeCompare(b.label));
  else bars.sort((a, b) => b.value - a.value);
  const from = new Date(report.since * 1000).toISOString().slice(0, 10);
  const to = new Date(report.until * 1000).toISOString().slice(0, 10);
  const title = `${metric.replace('_', ' ')} by ${grouping}, ${from} to ${to}`;
  $('#us-chart', root).replaceChildren(barChart(bars, title), el('figcaption', {}, title));
  $('#us-table', root).replaceChildren(
    el('caption', {}, `Usage by ${grouping}`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, grouping), COLUMNS.map((c) => el('th', { scope: 'col' }, c.replace('_', ' '))))),
    el('tbody', {}, rows.map((row) => el('tr', {}, el('th', { scope: 'row' }, groupLabel(row, grouping)),
      COLUMNS.map((c) => el('td', { class: 'num' }, format(Number(row[c]) || 0)))))));
  announce(`${rows.length} group${rows.length === 1 ? '' : 's'}.`);
}

export async function mount(root) {
  const form = $('#us-form', root);
  const submit = form.querySelector('button[type=submit]');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, submit, () => show(root));
  });
  for (const select of [$('#us-group', root), $('#us-metric', root)]) {
    select.addEventListener('change', () => form.requestSubmit());
  }
  await show(root);
}
