// Speak: a speech request as SSE (stream_format "sse"), so the audio arrives in chunks the player starts on and the
// playground's chorus.timing / chorus.usage events close the stream. A recorded or uploaded sample can stand in
// for the voice (audio_sample) or be saved to the voice library.
import { call, events, fillModels, parse, playground } from './api.js';
import { $, announce, base64, busy, bytesFromBase64, fillStats, ms } from './dom.js';
import { streamingPlayer } from './player.js';
import { recordButton } from './recorder.js';
import { fillVoices, voices } from './voicelist.js';

let sample = null;
// The previous request's 'playing' listener, dropped when a new request starts so it cannot write into its figures.
let lastRequest = null;

function setSample(root, blob) {
  sample = blob;
  const preview = $('#clone-preview', root);
  if (preview.src.startsWith('blob:')) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(blob);
  preview.hidden = false;
  $('#speak-use-sample', root).checked = true;
}

async function speak(root) {
  const format = $('#speak-format', root).value;
  const body = {
    model: $('#speak-model', root).value,
    input: $('#speak-text', root).value,
    response_format: format,
    speed: Number($('#speak-speed', root).value) || 1,
    stream_format: 'sse',
  };
  const instructions = $('#speak-instructions', root).value.trim();
  if (instructions) body.instructions = instructions;
  if ($('#speak-use-sample', root).checked) {
    if (!sample) throw new Error('Record or upload a voice sample first.');
    body.audio_sample = await base64(sample);
  } else {
    body.voice = $('#speak-voice', root).value;
  }
  const audio = $('#speak-audio', root);
  const stats = $('#speak-stats', root);
  // The figures arrive at different times (playback may start before or after the stream ends): one record,
  // redrawn whole on each change.
  const figures = new Map([['Audio started after', null], ['Server time to first audio', null], ['Server total', null],
    ['Characters', null], ['Audio seconds', null], ['Cost', null], ['Playback', null]]);
  const show = (changes) => {
    for (const [name, value] of Object.entries(changes)) figures.set(name, value);
    fillStats(stats, figures);
  };
  show({});
  const started = performance.now();
  lastRequest?.abort();
  lastRequest = new AbortController();
  audio.addEventListener('playing', () => show({ 'Audio started after': ms(performance.now() - started) }),
    { once: true, signal: lastRequest.signal });
  announce('Speaking…');
  const response = await call(playground('audio/speech'), { json: body });
  const player = streamingPlayer(audio, format);
  show({ Playback: player.streaming ? 'streamed (Media Source)' : 'after download' });
  for await (const { event, data } of events(response)) {
    const json = parse(data);
    if (event === 'chorus.timing') {
      show({ 'Server time to first audio': ms(json?.ttfb_ms), 'Server total': ms(json?.total_ms) });
    } else if (event === 'chorus.usage') {
      show({ Characters: json?.characters, 'Audio seconds': json?.audio_seconds, Cost: json?.cost });
    } else if (json?.type === 'speech.audio.delta') {
      player.push(bytesFromBase64(json.audio));
    }
  }
  player.end();
  announce('Speech received.');
}

async function saveVoice(root) {
  if (!sample) throw new Error('Record or upload a voice sample first.');
  const json = { name: $('#clone-name', root).value.trim(), audio_sample: await base64(sample) };
  const consent = $('#clone-consent', root).value.trim();
  if (consent) json.consent = consent;
  const voice = await (await call(playground('audio/voices'), { json })).json();
  fillVoices($('#speak-voice', root), await voices());
  $('#speak-voice', root).value = voice.id;
  $('#speak-use-sample', root).checked = false;
  announce(`Saved voice ${voice.name} (${voice.id}).`);
}

let recorder = null;

export async function mount(root) {
  const form = $('#speak-form', root);
  const cloneForm = $('#clone-form', root);
  const submit = form.querySelector('button[type=submit]');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, submit, () => speak(root));
  });
  cloneForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = cloneForm.querySelector('button[type=submit]');
    busy(button, button, () => saveVoice(root));
  });
  $('#clone-file', root).addEventListener('change', (event) => {
    const file = event.target.files[0];
    if (file) setSample(root, file);
  });
  recorder = recordButton($('#clone-record', root), (blob) => setSample(root, blob));
  if (sample) setSample(root, sample);
  const [, list] = await Promise.all([fillModels($('#speak-model', root), 'speech'), voices()]);
  fillVoices($('#speak-voice', root), list);
}

export function unmount() {
  recorder?.stop();
}
