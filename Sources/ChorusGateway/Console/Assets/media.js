// Which requests of this tab stored media (images answered as /v1/media addresses): usage rows do not name their
// media, so the Logs page looks a row's request id up here to offer a View button. Only paths are kept (no key),
// in sessionStorage, so they go with the tab.

const STORE = 'chorus.media';

function read() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

export function rememberMedia(requestID, urls) {
  const paths = urls.map((url) => new URL(url, location.href).pathname).filter((path) => path.startsWith('/v1/media/'));
  if (!requestID || !paths.length) return;
  const known = read();
  known[requestID] = paths;
  // The newest 200 requests are plenty for a console session.
  const ids = Object.keys(known);
  for (const id of ids.slice(0, Math.max(0, ids.length - 200))) delete known[id];
  sessionStorage.setItem(STORE, JSON.stringify(known));
}

export function mediaOf(requestID) {
  return read()[requestID] ?? [];
}
