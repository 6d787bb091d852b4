// Keys (master key only): create (the secret is shown once, in a read-only field with a copy button), list,
// revoke, and edit limits in a dialog. Empty limit fields mean "none" (sent as null on edit).
import { call, getJSON } from './api.js';
import { $, announce, busy, el } from './dom.js';

const number = (input) => (input.value.trim() === '' ? null : Number(input.value));
const shown = (value) => (value === null || value === undefined ? '—' : String(value));

function limitsFrom(root, prefix) {
  const period = $(`#${prefix}-period`, root).value;
  return {
    rpm: number($(`#${prefix}-rpm`, root)),
    max_concurrency: number($(`#${prefix}-conc`, root)),
    balance: number($(`#${prefix}-balance`, root)),
    budget: number($(`#${prefix}-budget`, root)),
    budget_period: period === '' ? null : period,
  };
}

async function create(root) {
  const limits = limitsFrom(root, 'kc');
  // A new key only carries the limits that were filled in.
  const json = { name: $('#kc-name', root).value.trim() };
  for (const [name, value] of Object.entries(limits)) if (value !== null) json[name] = value;
  const key = await (await call('/admin/keys', { json })).json();
  $('#kc-secret', root).value = key.key;
  $('#kc-created', root).hidden = false;
  $('#kc-secret', root).focus();
  $('#kc-secret', root).select();
  $('#kc-form', root).reset();
  announce(`Created key ${key.id} (${key.name}). Copy it now: it is not shown again.`);
  await refresh(root);
}

async function revoke(root, key) {
  if (!window.confirm(`Revoke key ${key.id} (${key.name})? It stops working at once.`)) return;
  await call(`/admin/keys/${key.id}`, { method: 'DELETE' });
  announce(`Revoked key ${key.id}.`);
  await refresh(root);
}

function edit(root, key) {
  const dialog = $('#ke-dialog', root);
  $('#ke-h', root).textContent = `Edit limits of key ${key.id} (${key.name})`;
  $('#ke-rpm', root).value = key.rpm ?? '';
  $('#ke-conc', root).value = key.max_concurrency ?? '';
  $('#ke-balance', root).value = key.balance ?? '';
  $('#ke-budget', root).value = key.budget ?? '';
  $('#ke-period', root).value = key.budget_period ?? '';
  dialog.dataset.id = key.id;
  dialog.showModal();
}

async function saveEdit(root) {
  const dialog = $('#ke-dialog', root);
  if (dialog.returnValue !== 'save') return;
  await call(`/admin/keys/${dialog.dataset.id}`, { method: 'PATCH', json: limitsFrom(root, 'ke') });
  announce(`Saved the limits of key ${dialog.dataset.id}.`);
  await refresh(root);
}

async function refresh(root) {
  const keys = (await getJSON('/admin/keys')).data ?? [];
  $('#kl-body', root).replaceChildren(...keys.map((key) => {
    const actions = el('span', { class: 'row' });
    if (key.status === 'active') {
      const change = el('button', { type: 'button', 'aria-label': `Edit limits of key ${key.id}` }, 'Limits');
      change.addEventListener('click', () => edit(root, key));
      const drop = el('button', { type: 'button', class: 'danger', 'aria-label': `Revoke key ${key.id}` }, 'Revoke');
      drop.addEventListener('click', () => busy(drop, drop, () => revoke(root, key)));
      actions.append(change, drop);
    }
    const budget = key.budget === null ? '—' : `${key.budget} / ${key.budget_period ?? 'total'}`;
    return el('tr', { class: key.status === 'active' ? null : 'inactive' },
      el('td', { class: 'num' }, key.id), el('td', {}, key.name), el('td', {}, el('code', {}, key.hint)),
      el('td', {}, key.status), el('td', { class: 'num' }, shown(key.rpm)), el('td', { class: 'num' }, shown(key.max_concurrency)),
      el('td', { class: 'num' }, shown(key.balance)), el('td', {}, budget), el('td', { class: 'num' }, shown(key.spend)), el('td', {}, actions));
  }));
}

export async function mount(root) {
  const form = $('#kc-form', root);
  const submit = form.querySelector('button[type=submit]');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, submit, () => create(root));
  });
  $('#kc-copy', root).addEventListener('click', async () => {
    const secret = $('#kc-secret', root);
    try {
      await navigator.clipboard.writeText(secret.value);
      announce('Copied the key.');
    } catch {
      secret.select();
      announce('Copying was refused; the key is selected, press Ctrl+C.');
    }
  });
  const dialog = $('#ke-dialog', root);
  dialog.addEventListener('close', () => {
    const save = dialog.querySelector('button[value=save]');
    busy(save, $('#kl-body', root).closest('table'), () => saveEdit(root));
  });
  await refresh(root);
}
