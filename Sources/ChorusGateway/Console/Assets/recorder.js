// A toggle button that records from the microphone (MediaRecorder) and hands the finished Blob to onDone.
import { announce } from './dom.js';

export function recordButton(button, onDone) {
  let recorder = null;
  button.setAttribute('aria-pressed', 'false');
  button.addEventListener('click', async () => {
    if (recorder) {
      recorder.stop();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      announce(`No microphone: ${e.message}`);
      return;
    }
    const chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.addEventListener('dataavailable', (event) => chunks.push(event.data));
    recorder.addEventListener('stop', () => {
      for (const track of stream.getTracks()) track.stop();
      const blob = new Blob(chunks, { type: recorder.mimeType || 'audio/webm' });
      recorder = null;
      button.textContent = 'Record';
      button.setAttribute('aria-pressed', 'false');
      announce(`Recorded ${(blob.size / 1024).toFixed(0)} KiB.`);
      onDone(blob);
    });
    recorder.start();
    button.textContent = 'Stop recording';
    button.setAttribute('aria-pressed', 'true');
    announce('Recording… press Stop recording when done.');
  });
  return { stop: () => recorder?.stop() };
}

/** A filename the server can guess the container from. */
export function sampleName(blob) {
  if (blob.name) return blob.name;
  const type = blob.type || '';
  if (type.includes('ogg')) return 'sample.ogg';
  if (type.includes('mp4')) return 'sample.m4a';
  if (type.includes('wav')) return 'sample.wav';
  return 'sample.webm';
}
