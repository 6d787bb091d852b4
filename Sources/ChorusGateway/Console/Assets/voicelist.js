// The voice library as the Speak and Voices pages show it: presets first, then this key's custom voices.
import { getJSON, playground } from './api.js';

export async function voices() {
  return (await getJSON(playground('audio/voices'))).data ?? [];
}

export function fillVoices(select, list) {
  const presets = document.createElement('optgroup');
  presets.label = 'Presets';
  const custom = document.createElement('optgroup');
  custom.label = 'Custom voices';
  for (const voice of list) {
    (voice.type === 'preset' ? presets : custom).append(new Option(voice.name, voice.id));
  }
  select.replaceChildren(presets);
  if (custom.children.length) select.append(custom);
}
