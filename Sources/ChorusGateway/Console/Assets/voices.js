// Voices: the presets and this key's custom voices; preview speaks a fixed sentence, custom voices can be added
// from an upload or a recording, and deleted.
import { call, fillModels, playground } from './api.js';
import { $, announce, base64, busy, el } from './dom.js';
import { recordButton } from './recorder.js';
import { voices } from './voicelist.js';

const SENTENCE = 'This is how this voice sounds in Chorus.';
let sample = null;
let recorder = null;

async function preview(root, voice) {
  const model = $('#voices-model', root).value;
  if (!model) throw new Error('No speech model to preview with.');
  announce(`Previewing ${voice.name}…`);
  const response = await call(playground('audio/speech'), {
    json: { model, input: SENTENCE, voice: voice.id, response_format: 'mp3' },
  });
  const audio = $('#voices-audio', root);
  if (audio.src.startsWith('blob:')) URL.revokeObjectURL(audio.src);
  audio.src = URL.createObjectURL(await response.blob());
  audio.hidden = false;
  await audio.play().catch(() => {});
}

async function remove(root, voice) {
  if (!window.confirm(`Delete the voice ${voice.name}?`)) return;
  await call(playground(`audio/voices/${encodeURIComponent(voice.id)}`), { method: 'DELETE' });
  announce(`Deleted ${voice.name}.`);
  await refresh(root);
}

async function refresh(root) {
  const body = $('#voices-body', root);
  const list = await voices();
  body.replaceChildren(...list.map((voice) => {
    const play = el('button', { type: 'button', 'aria-label': `Preview ${voice.name}` }, 'Preview');
    play.addEventListener('click', () => busy(play, play, () => preview(root, voice)));
    const actions = el('span', { class: 'row' }, play);
    if (voice.type !== 'preset') {
      const drop = el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${voice.name}` }, 'Delete');
      drop.addEventListener('click', () => busy(drop, drop, () => remove(root, voice)));
      actions.append(drop);
    }
    const kind = voice.type === 'preset' ? 'preset' : `custom, ${voice.duration ?? '?'} s`;
    return el('tr', {}, el('td', {}, voice.name), el('td', {}, kind), el('td', {}, el('code', {}, voice.id)), el('td', {}, actions));
  }));
}

async function add(root) {
  if (!sample) throw new Error('Choose a sample file or record one first.');
  const json = { name: $('#vadd-name', root).value.trim(), audio_sample: await base64(sample) };
  const consent = $('#vadd-consent', root).value.trim();
  if (consent) json.consent = consent;
  const voice = await (await call(playground('audio/voices'), { json })).json();
  announce(`Added ${voice.name} (${voice.id}).`);
  $('#vadd-form', root).reset();
  sample = null;
  $('#vadd-source', root).textContent = 'No sample yet.';
  await refresh(root);
}

export async function mount(root) {
  const form = $('#vadd-form', root);
  const submit = form.querySelector('button[type=submit]');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, submit, () => add(root));
  });
  $('#vadd-file', root).addEventListener('change', (event) => {
    sample = event.target.files[0] ?? null;
    $('#vadd-source', root).textContent = sample ? `File: ${sample.name}` : 'No sample yet.';
  });
  recorder = recordButton($('#vadd-record', root), (blob) => {
    sample = blob;
    $('#vadd-source', root).textContent = `Recording: ${(blob.size / 1024).toFixed(0)} KiB`;
  });
  await Promise.all([fillModels($('#voices-model', root), 'speech'), refresh(root)]);
}

export function unmount() {
  recorder?.stop();
  sample = null;
}
