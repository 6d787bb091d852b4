// Logs (master key only): /admin/logs newest first with its filters, a page at a time. A row with stored media —
// its `media` list (the images its request stored, while stored), a /v1/media/… address in one of its fields, or
// an image this tab stored under that request id (media.js) —
// gets a View button; the media is loaded from this server's path, so the CSP's 'self' covers it, and a 404
// says it has expired.
import { getJSON } from './api.js';
import { $, announce, busy, el } from './dom.js';
import { mediaOf } from './media.js';

const MEDIA = /\/v1\/media\/[A-Za-z0-9._-]+/g;
let before = null;

function mediaPaths(row) {
  const found = new Set(mediaOf(row.request_id));
  // The images the row's request stored that are still there (the server links them by request id).
  for (const item of row.media ?? []) {
    if (typeof item.url === 'string') found.add(new URL(item.url, window.location.href).pathname);
  }
  for (const value of Object.values(row)) {
    for (const text of [value].flat()) {
      if (typeof text === 'string') for (const match of text.matchAll(MEDIA)) found.add(match[0]);
    }
  }
  return [...found];
}

function usageText(row) {
  const parts = [];
  if (row.total_tokens) parts.push(`${row.total_tokens} tokens`);
  if (row.characters) parts.push(`${row.characters} chars`);
  if (row.audio_seconds) parts.push(`${Number(row.audio_seconds).toFixed(1)} s audio`);
  if (row.images) parts.push(`${row.images} image${row.images === 1 ? '' : 's'}${row.image_size ? ` ${row.image_size}` : ''}`);
  return parts.join(', ') || '—';
}

async function view(root, path, row) {
  const response = await fetch(path);
  const box = $('#lg-media', root);
  if (response.status === 404) {
    announce(`The media of request ${row.request_id} is no longer stored.`);
    return;
  }
  const blob = await response.blob();
  const src = URL.createObjectURL(blob);
  const media = blob.type.startsWith('audio/')
    ? el('audio', { src, controls: true })
    : el('img', { src, alt: `Media of request ${row.request_id}` });
  box.prepend(el('figure', {}, media, el('figcaption', {}, `${row.route} · ${row.request_id}`)));
  announce('Media shown below the table.');
}

function rowOf(root, row) {
  const when = new Date(row.created_at * 1000);
  const key = row.key_id ?? (row.unauthenticated ? 'none' : 'master');
  const media = el('span', { class: 'row' });
  for (const path of mediaPaths(row)) {
    const button = el('button', { type: 'button', 'aria-label': `View media of request ${row.request_id}` }, 'View');
    button.addEventListener('click', () => busy(button, button, () => view(root, path, row)));
    media.append(button);
  }
  const status = el('td', { class: row.status >= 400 ? 'num bad' : 'num' }, row.status);
  if (row.error) status.title = row.error;
  return el('tr', {},
    el('td', {}, el('time', { datetime: when.toISOString() }, when.toLocaleString())), el('td', {}, key),
    el('td', {}, row.route), el('td', {}, row.model ?? '—'), status,
    el('td', { class: 'num' }, `${Math.round(row.latency_ms)} ms`), el('td', {}, usageText(row)),
    el('td', { class: 'num' }, row.cost ?? '—'), el('td', {}, media));
}

async function load(root, append) {
  const query = new URLSearchParams({ limit: '50' });
  for (const [id, name] of [['lg-key', 'key_id'], ['lg-model', 'model'], ['lg-route', 'route'], ['lg-status', 'status'], ['lg-request', 'request_id']]) {
    const value = $(`#${id}`, root).value.trim();
    if (value) query.set(name, value);
  }
  if (append && before) query.set('before', before);
  const page = await getJSON(`/admin/logs?${query}`);
  const rows = (page.data ?? []).map((row) => rowOf(root, row));
  const body = $('#lg-body', root);
  if (append) body.append(...rows);
  else body.replaceChildren(...rows);
  before = page.next_before;
  $('#lg-more', root).hidden = !page.has_more;
  announce(`${body.children.length} row${body.children.length === 1 ? '' : 's'} shown.`);
}

export async function mount(root) {
  const form = $('#lg-form', root);
  const submit = form.querySelector('button[type=submit]');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, submit, () => load(root, false));
  });
  const more = $('#lg-more', root);
  more.addEventListener('click', () => busy(more, more, () => load(root, true)));
  await load(root, false);
}
