// Transcribe or translate an upload or a recording, shown as the chosen response_format reads best: plain text,
// subtitles in a <pre>, or verbose_json's words as a table of timings.
import { call, fillModels, playground, rowFigures, usageRows } from './api.js';
import { $, announce, busy, el, fillStats } from './dom.js';
import { recordButton, sampleName } from './recorder.js';

let audio = null;
let recorder = null;

const seconds = (value) => (typeof value === 'number' ? value.toFixed(2) : '');

function wordsTable(words) {
  return el('table', { class: 'table' },
    el('caption', {}, 'Words with timings (seconds)'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Word'), el('th', { scope: 'col' }, 'Start'),
      el('th', { scope: 'col' }, 'End'))),
    el('tbody', {}, words.map((w) => el('tr', {}, el('td', {}, w.word), el('td', { class: 'num' }, seconds(w.start)),
      el('td', { class: 'num' }, seconds(w.end))))));
}

function segmentsTable(segments) {
  return el('table', { class: 'table' },
    el('caption', {}, 'Segments'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Start'), el('th', { scope: 'col' }, 'End'),
      el('th', { scope: 'col' }, 'Text'))),
    el('tbody', {}, segments.map((s) => el('tr', {}, el('td', { class: 'num' }, seconds(s.start)),
      el('td', { class: 'num' }, seconds(s.end)), el('td', {}, s.text)))));
}

async function transcribe(root) {
  if (!audio) throw new Error('Choose a file or record something first.');
  const format = $('#tr-format', root).value;
  const task = $('#tr-task', root).value;
  const form = new FormData();
  form.append('file', audio, sampleName(audio));
  form.append('model', $('#tr-model', root).value);
  form.append('response_format', format);
  const language = $('#tr-language', root).value.trim();
  if (language && task === 'transcriptions') form.append('language', language);
  if (format === 'verbose_json' && task === 'transcriptions') {
    form.append('timestamp_granularities[]', 'word');
    form.append('timestamp_granularities[]', 'segment');
  }
  announce('Transcribing…');
  const response = await call(playground(`audio/${task}`), { form });
  const result = $('#tr-result', root);
  if (format === 'json' || format === 'verbose_json') {
    const json = await response.json();
    const parts = [el('h3', {}, 'Text'), el('p', { class: 'transcript' }, json.text ?? '')];
    if (json.language) parts.push(el('p', {}, `Language: ${json.language}; duration ${seconds(json.duration)} s`));
    if (json.words?.length) parts.push(wordsTable(json.words));
    if (json.segments?.length) parts.push(segmentsTable(json.segments));
    result.replaceChildren(...parts);
  } else {
    result.replaceChildren(el('h3', {}, format === 'text' ? 'Text' : format.toUpperCase()),
      el('pre', { class: 'transcript' }, await response.text()));
  }
  announce('Transcript ready.');
  fillStats($('#tr-stats', root), rowFigures(await usageRows(response)));
}

export async function mount(root) {
  const form = $('#tr-form', root);
  const submit = form.querySelector('button[type=submit]');
  const source = $('#tr-source', root);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, submit, () => transcribe(root));
  });
  $('#tr-file', root).addEventListener('change', (event) => {
    audio = event.target.files[0] ?? null;
    source.textContent = audio ? `File: ${audio.name}` : 'No audio yet.';
  });
  recorder = recordButton($('#tr-record', root), (blob) => {
    audio = blob;
    source.textContent = `Recording: ${(blob.size / 1024).toFixed(0)} KiB`;
  });
  await fillModels($('#tr-model', root), 'transcription');
}

export function unmount() {
  recorder?.stop();
  audio = null;
}
