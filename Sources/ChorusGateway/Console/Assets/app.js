// Hash routing: each page is a <template> in index.html plus a module exporting mount(root). Pages that need the
// master key are listed in ADMIN; without a key every route shows the sign-in page.
import { session, signIn, forgetModels } from './api.js';
import { $, announce } from './dom.js';

const PAGES = {
  speak: () => import('./speak.js'),
  transcribe: () => import('./transcribe.js'),
  images: () => import('./images.js'),
  chat: () => import('./chat.js'),
  voices: () => import('./voices.js'),
  keys: () => import('./keys.js'),
  usage: () => import('./usage.js'),
  logs: () => import('./logs.js'),
};
const ADMIN = new Set(['keys', 'usage', 'logs']);
const TITLES = { signin: 'Sign in' };

let current = null;
// Counts routings: a page that finishes mounting after the user has moved on must not mark the view as its own.
let routing = 0;

function showNav(signedIn) {
  $('#nav').hidden = !signedIn;
  // Which key this tab uses, by name and hint (never the key itself).
  const key = session.info?.key;
  $('#who').textContent = !signedIn ? '' : session.admin ? ' (master key)' : ` (${key?.name ?? 'key'}, ${key?.hint ?? '…'})`;
  for (const item of document.querySelectorAll('#nav .admin')) item.hidden = !session.admin;
}

function render(name) {
  const view = $('#view');
  current?.unmount?.();
  current = null;
  view.replaceChildren($(`#page-${name}`).content.cloneNode(true));
  delete view.dataset.page;
  document.title = `${TITLES[name] ?? name[0].toUpperCase() + name.slice(1)} · Chorus console`;
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === `#/${name}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  return view;
}

function mountSignIn() {
  routing++;
  const view = render('signin');
  const form = $('#signin-form', view);
  const error = $('#signin-error', view);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = $('#signin-key', view).value.trim();
    error.hidden = true;
    announce('Checking the key…');
    try {
      await signIn(key);
    } catch (e) {
      session.forget();
      error.textContent = e.status === 401 ? 'That key was not accepted.' : `Sign-in failed: ${e.message}`;
      error.hidden = false;
      announce('');
      return;
    }
    showNav(true);
    if (location.hash === '' || location.hash === '#/signin') history.replaceState(null, '', '#/speak');
    await route();
    announce(session.admin ? 'Signed in with the master key.' : 'Signed in.');
  });
  $('#signin-key', view).focus();
}

async function route() {
  const name = location.hash.replace(/^#\/?/, '') || 'speak';
  if (!session.key() || !session.info) {
    showNav(false);
    return mountSignIn();
  }
  const page = PAGES[name] && !(ADMIN.has(name) && !session.admin) ? name : 'speak';
  const load = PAGES[page];
  const view = render(page);
  const turn = ++routing;
  // aria-busy until the page has its data (models, lists); the browser tests wait on it too.
  view.setAttribute('aria-busy', 'true');
  try {
    const module = await load();
    if (turn !== routing) return;
    current = module;
    await current.mount(view);
  } catch (e) {
    if (turn === routing) announce(`The ${page} page failed to load: ${e.message}`);
  } finally {
    if (turn === routing) {
      view.dataset.page = page;
      view.setAttribute('aria-busy', 'false');
    }
  }
}

async function start() {
  // The skip link's target is an element, not a route: focus it instead of letting '#view' reach the router.
  $('.skip').addEventListener('click', (event) => {
    event.preventDefault();
    $('#view').focus();
  });
  $('#sign-out').addEventListener('click', () => {
    session.forget();
    forgetModels();
    history.replaceState(null, '', '#/signin');
    announce('Signed out.');
    route();
  });
  // A new page starts with an empty status line; sign-in's own message is set after its first route.
  // Focus moves to the new page's content, so keyboard and screen reader users start there.
  window.addEventListener('hashchange', async () => {
    announce('');
    await route();
    $('#view').focus({ preventScroll: true });
  });
  // A reload keeps the tab's key: check it again (it may have been revoked meanwhile).
  const stored = session.key();
  if (stored) {
    try {
      await signIn(stored);
      showNav(true);
    } catch {
      session.forget();
    }
  }
  route();
}

start();
