// Plays speech while it arrives. MP3 goes through Media Source Extensions, so the <audio> starts on the first
// chunk; formats MSE cannot take (wav, flac, opus in Ogg, raw aac in Chromium) are collected and played from a
// blob URL when the stream ends.

const MIME = { mp3: 'audio/mpeg', wav: 'audio/wav', opus: 'audio/ogg', aac: 'audio/aac', flac: 'audio/flac' };

export function streamingPlayer(audio, format) {
  const mime = MIME[format] ?? 'application/octet-stream';
  if (format === 'mp3' && window.MediaSource && MediaSource.isTypeSupported(mime)) return msePlayer(audio, mime);
  return blobPlayer(audio, mime);
}

function revokeOld(audio) {
  if (audio.src.startsWith('blob:')) URL.revokeObjectURL(audio.src);
}

function msePlayer(audio, mime) {
  revokeOld(audio);
  const source = new MediaSource();
  const queue = [];
  let buffer = null;
  let finished = false;
  const pump = () => {
    if (!buffer || buffer.updating) return;
    if (queue.length) buffer.appendBuffer(queue.shift());
    else if (finished && source.readyState === 'open') source.endOfStream();
  };
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
      queue.push(bytes);
      pump();
      if (!started) {
        started = true;
        audio.play().catch(() => {});
      }
    },
    end() {
      finished = true;
      pump();
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
