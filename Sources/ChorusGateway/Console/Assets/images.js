// Images: generate, edit with a painted mask (MaskEditor), and variations of a result or an upload. Results come
// back as b64_json and are kept as Blobs (the CSP's connect-src does not let fetch read data: or blob: URLs), shown
// through blob: URLs, which img-src allows.
import { call, fillModels, playground, rowFigures, usageRows } from './api.js';
import { $, announce, busy, bytesFromBase64, el, fillStats } from './dom.js';
import { MaskEditor } from './maskcanvas.js';
import { rememberMedia } from './media.js';

let editor = null;

async function blobOf(item) {
  if (item.b64_json) return new Blob([bytesFromBase64(item.b64_json)], { type: 'image/png' });
  // Stored images are served by this server whatever host public_url names; the path keeps fetch within 'self'.
  const response = await fetch(new URL(item.url, location.href).pathname);
  if (!response.ok) throw new Error(`The stored image could not be read (${response.status}).`);
  return response.blob();
}

async function showResults(root, json, label) {
  const gallery = $('#img-results', root);
  const blobs = await Promise.all((json.data ?? []).map(blobOf));
  const items = blobs.map((blob, index) => {
    const src = URL.createObjectURL(blob);
    const image = el('img', { src, alt: `${label}, result ${index + 1}` });
    const edit = el('button', { type: 'button' }, 'Edit this');
    edit.addEventListener('click', () => loadIntoEditor(root, blob));
    const vary = el('button', { type: 'button' }, 'Variations');
    vary.addEventListener('click', () => busy(vary, vary, () => variations(root, blob)));
    const save = el('a', { href: src, download: `chorus-${Date.now()}-${index + 1}.png` }, 'Download');
    return el('figure', {}, image, el('figcaption', {}, label, el('span', { class: 'row' }, edit, vary, save)));
  });
  gallery.prepend(...items);
  announce(`${items.length} image${items.length === 1 ? '' : 's'} ready.`);
}

/** The results of `response`, then the request's usage row (time, images, cost) under them. */
async function shown(root, response, label) {
  const json = await response.json();
  rememberMedia(response.headers.get('x-request-id'), (json.data ?? []).map((item) => item.url).filter(Boolean));
  await showResults(root, json, label);
  fillStats($('#img-stats', root), rowFigures(await usageRows(response)));
}

async function loadIntoEditor(root, blob) {
  const bitmap = await createImageBitmap(blob);
  editor.load(bitmap, bitmap.width, bitmap.height);
  $('#edit-mask', root).focus();
  announce(`Image loaded (${bitmap.width}×${bitmap.height}); paint the area to change.`);
}

async function generate(root) {
  const json = {
    model: $('#gen-model', root).value,
    prompt: $('#gen-prompt', root).value,
    size: $('#gen-size', root).value,
    n: Number($('#gen-n', root).value) || 1,
    response_format: $('#gen-store', root).checked ? 'url' : 'b64_json',
  };
  announce('Generating…');
  await shown(root, await call(playground('images/generations'), { json }), json.prompt);
}

async function edit(root) {
  if (!editor.loaded) throw new Error('Choose an image to edit first.');
  const form = new FormData();
  form.append('model', $('#edit-model', root).value);
  form.append('prompt', $('#edit-prompt', root).value);
  form.append('response_format', 'b64_json');
  form.append('image', await editor.imagePNG(), 'image.png');
  form.append('mask', await editor.maskPNG(), 'mask.png');
  announce('Editing…');
  await shown(root, await call(playground('images/edits'), { form }), 'Edit');
}

async function variations(root, blob) {
  const form = new FormData();
  form.append('model', $('#gen-model', root).value);
  form.append('n', '1');
  form.append('response_format', 'b64_json');
  form.append('image', blob, 'image.png');
  announce('Making a variation…');
  await shown(root, await call(playground('images/variations'), { form }), 'Variation');
}

export async function mount(root) {
  editor = new MaskEditor($('#edit-image', root), $('#edit-mask', root));
  const genForm = $('#gen-form', root);
  genForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = genForm.querySelector('button[type=submit]');
    busy(button, button, () => generate(root));
  });
  const editForm = $('#edit-form', root);
  editForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = editForm.querySelector('button[type=submit]');
    busy(button, button, () => edit(root));
  });
  $('#edit-file', root).addEventListener('change', (event) => {
    const file = event.target.files[0];
    if (file) loadIntoEditor(root, file).catch((e) => announce(`Cannot read that image: ${e.message}`));
  });
  $('#var-file', root).addEventListener('change', (event) => {
    const file = event.target.files[0];
    const input = event.target;
    if (file) busy(input, input, () => variations(root, file));
  });
  for (const radio of root.querySelectorAll('input[name=edit-tool]')) {
    radio.addEventListener('change', () => { editor.tool = radio.value; });
  }
  const size = $('#edit-size', root);
  size.addEventListener('input', () => { editor.size = Number(size.value); });
  $('#edit-invert', root).addEventListener('click', () => editor.invert());
  $('#edit-clear', root).addEventListener('click', () => editor.clear());
  const [generators, editors] = await Promise.all([
    fillModels($('#gen-model', root), 'images'),
    fillModels($('#edit-model', root), 'image_edits'),
  ]);
  return { generators, editors };
}
