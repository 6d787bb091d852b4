// The console's only way to the server: every call carries the signed-in key as a Bearer token. The key lives in
// sessionStorage (this tab only, gone when it closes) and is written there only after the server accepted it.

const KEY = 'chorus.key';

export const session = {
  key: () => sessionStorage.getItem(KEY),
  admin: false,
  info: null,
  /** Signing out leaves nothing of the session in the tab: the key and the media list (media.js) go. */
  forget() {
    sessionStorage.clear();
    session.admin = false;
    session.info = null;
  },
};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The OpenAI error shape's message, or the status line when the body is something else. */
async function errorOf(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) message = body.error.message;
  } catch { /* not JSON: keep the status line */ }
  return new ApiError(response.status, message);
}

/** fetch with the key; `json` sends a JSON body, `form` a FormData. Throws ApiError on a non-2xx answer. */
export async function call(path, { method, json, form, key = session.key(), signal } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const response = await fetch(path, { method: method ?? (body ? 'POST' : 'GET'), headers, body, signal });
  if (!response.ok) throw await errorOf(response);
  return response;
}

export const playground = (path) => `/api/playground/${path}`;

export async function getJSON(path, options) {
  return (await call(path, options)).json();
}

/** Checks `key` against the server; stores it only when it works. */
export async function signIn(key) {
  const info = await getJSON(playground('session'), { key });
  sessionStorage.setItem(KEY, key);
  session.info = info;
  session.admin = info.admin === true;
  return info;
}

/** Yields {event, data} for each server-sent event of `response` as it arrives. */
export async function* events(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { event, data: data.join('\n') };
    }
  }
}

/** JSON of an event's data, or null for `[DONE]` and anything unparsable. */
export function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

let modelsCache = null;

/** The models this key may call, fetched once per sign-in. */
export async function models() {
  modelsCache ??= getJSON(playground('models')).then((list) => list.data ?? []);
  return modelsCache;
}

export function forgetModels() {
  modelsCache = null;
}

/** Fills a <select> with the models having `capability`; says so when there is none. */
export async function fillModels(select, capability) {
  const list = (await models()).filter((m) => (m.capabilities ?? []).includes(capability));
  select.replaceChildren(...list.map((m) => new Option(m.id, m.id)));
  if (!list.length) select.append(new Option(`no ${capability} model`, ''));
  return list;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The usage rows of the request `response` answered (its x-request-id; several when the gateway made several
 *  upstream calls for it), or []. Rows are written in batches a few tens of milliseconds apart, so the first look
 *  waits a little and a 404 is retried for about 2 s. */
export async function usageRows(response) {
  const id = response.headers.get('x-request-id');
  if (!id) return [];
  await pause(400);
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      return (await getJSON(playground(`requests/${encodeURIComponent(id)}`))).data ?? [];
    } catch (error) {
      if (error.status !== 404) return [];
    }
    await pause(250);
  }
  return [];
}

/** Usage rows summed into label/value pairs for fillStats (null where no row has the figure). */
export function rowFigures(rows) {
  if (!rows.length) return [];
  const sum = (name) => {
    const values = rows.map((row) => row[name]).filter((v) => typeof v === 'number');
    return values.length ? Math.round(values.reduce((a, b) => a + b, 0) * 1e6) / 1e6 : null;
  };
  const ms = (v) => (typeof v === 'number' ? `${Math.round(v)} ms` : null);
  return [
    ['Time to first byte', ms(rows[0].ttfb_ms)], ['Total time', ms(Math.max(...rows.map((r) => r.latency_ms ?? 0)))],
    ['Tokens', sum('total_tokens')], ['Characters', sum('characters')], ['Audio seconds', sum('audio_seconds')],
    ['Images', sum('images')], ['Cost', sum('cost')],
  ];
}
