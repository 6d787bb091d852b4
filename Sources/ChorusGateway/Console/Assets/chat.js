// Chat: the conversation is kept in this page (not stored anywhere); answers stream in as SSE deltas and the
// playground's chorus.timing / chorus.usage events fill the figures below.
import { call, events, fillModels, parse, playground } from './api.js';
import { $, announce, busy, el, fillStats, ms } from './dom.js';

let history = [];
// The last answer's figures, shown again when the page is opened again.
let lastFigures = [];

function bubble(root, role, text) {
  const body = el('p', {}, text);
  $('#chat-log', root).append(el('li', { class: `msg ${role}` }, el('span', { class: 'who' }, role === 'user' ? 'You' : 'Assistant'), body));
  return body;
}

async function send(root) {
  const input = $('#chat-input', root);
  const text = input.value.trim();
  if (!text) return;
  const system = $('#chat-system', root).value.trim();
  history.push({ role: 'user', content: text });
  const asked = bubble(root, 'user', text);
  input.value = '';
  const messages = system ? [{ role: 'system', content: system }, ...history] : history;
  const answer = bubble(root, 'assistant', '');
  answer.setAttribute('aria-busy', 'true');
  const started = performance.now();
  let firstToken = null;
  let timing = null;
  let usage = null;
  announce('Waiting for the answer…');
  try {
    const response = await call(playground('chat/completions'), {
      json: { model: $('#chat-model', root).value, messages, stream: true, stream_options: { include_usage: true } },
    });
    for await (const { event, data } of events(response)) {
      const json = parse(data);
      if (event === 'chorus.timing') timing = json;
      else if (event === 'chorus.usage') usage = json;
      else {
        const delta = json?.choices?.[0]?.delta?.content;
        if (delta) {
          firstToken ??= performance.now() - started;
          answer.textContent += delta;
        }
      }
    }
  } catch (error) {
    // Nothing arrived: take the turn back so the message can be sent again; a partial answer stays.
    if (!answer.textContent) {
      answer.closest('li').remove();
      asked.closest('li').remove();
      history.pop();
      input.value = text;
      throw error;
    }
    announce(`The answer was cut off: ${error.message}`);
  } finally {
    answer.removeAttribute('aria-busy');
  }
  history.push({ role: 'assistant', content: answer.textContent });
  lastFigures = [
    ['First token after', ms(firstToken)],
    ['Server time to first byte', ms(timing?.ttfb_ms)],
    ['Server total', ms(timing?.total_ms)],
    ['Prompt tokens', usage?.prompt_tokens],
    ['Completion tokens', usage?.completion_tokens],
    ['Cost', usage?.cost],
  ];
  fillStats($('#chat-stats', root), lastFigures);
  announce('Answer complete.');
}

export async function mount(root) {
  const form = $('#chat-form', root);
  const submit = form.querySelector('button[type=submit]');
  for (const message of history) bubble(root, message.role, message.content);
  fillStats($('#chat-stats', root), lastFigures);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, submit, () => send(root));
  });
  // Enter sends, Shift+Enter starts a new line, as chat boxes do.
  $('#chat-input', root).addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  $('#chat-clear', root).addEventListener('click', () => {
    history = [];
    lastFigures = [];
    $('#chat-log', root).replaceChildren();
    fillStats($('#chat-stats', root), []);
  });
  await fillModels($('#chat-model', root), 'chat');
}
