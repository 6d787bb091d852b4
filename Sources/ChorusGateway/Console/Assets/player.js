// Plays speech while it arrives. MP3 goes through Media Source Extensions, so the <audio> starts on the first
// chunk; formats MSE cannot take (wav, flac, opus in Ogg, raw aac in Chromium) are collected and played from a
// blob URL when the stream ends, and so is an MP3 stream MSE turns out not to parse.

const MIME = { mp3: 'audio/mpeg', wav: 'audio/wav', opus: 'audio/ogg', aac: 'audio/aac', flac: 'audio/flac' };

export function streamingPlayer(audio, format) {
  const mime = MIME[format] ?? 'application/octet-stream';
  if (format === 'mp3' && window.MediaSource && MediaSource.isTypeSupported(mime)) return msePlayer(audio, mime);
  return blobPlayer(audio, mime);
}

// The listeners of each element's current player: a new player drops its predecessor's, so an error of the new
// stream can never be handled by an old one.
const listeners = new WeakMap();

function revokeOld(audio) {
  listeners.get(audio)?.abort();
  const controller = new AbortController();
  listeners.set(audio, controller);
  if (audio.src.startsWith('blob:')) URL.revokeObjectURL(audio.src);
  return controller.signal;
}

function msePlayer(audio, mime) {
  const signal = revokeOld(audio);
  const source = new MediaSource();
  const queue = [];
  // Everything received, kept so that a stream MSE cannot parse (a provider that answered another container than
  // asked) still plays: from a blob, once complete.
  const parts = [];
  let buffer = null;
  let finished = false;
  let failed = false;
  const pump = () => {
    if (failed || !buffer || buffer.updating) return;
    try {
      if (queue.length) buffer.appendBuffer(queue.shift());
      else if (finished && source.readyState === 'open') source.endOfStream();
    } catch {
      // The element has given up on the stream (its 'error' follows or came): play the blob at the end.
      failed = 'pending';
      if (finished) {
        failed = false;
        fallBack();
      }
    }
  };
  const fallBack = () => {
    if (failed || !finished) return;
    failed = true;
    URL.revokeObjectURL(audio.src);
    audio.src = URL.createObjectURL(new Blob(parts));
    audio.play().catch(() => {});
  };
  audio.addEventListener('error', () => {
    if (finished) fallBack();
    else failed = 'pending';
  }, { once: true, signal });
  source.addEventListener('sourceopen', () => {
    buffer = source.addSourceBuffer(mime);
    buffer.addEventListener('updateend', pump);
    pump();
  }, { once: true });
  audio.src = URL.createObjectURL(source);
  let started = false;
  return {
    streaming: true,
    push(bytes) {
      parts.push(bytes);
      queue.push(bytes);
      pump();
      if (!started) {
        started = true;
        audio.play().catch(() => {});
      }
    },
    end() {
      finished = true;
      if (failed === 'pending') {
        failed = false;
        fallBack();
      } else {
        pump();
      }
    },
  };
}

function blobPlayer(audio, mime) {
  const parts = [];
  return {
    streaming: false,
    push(bytes) {
      parts.push(bytes);
    },
    end() {
      revokeOld(audio);
      audio.src = URL.createObjectURL(new Blob(parts, { type: mime }));
      audio.play().catch(() => {});
    },
  };
}
