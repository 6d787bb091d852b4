// Small DOM helpers: the pages build rows and results with these instead of innerHTML, so nothing a server or a
// user typed is ever parsed as markup.

export const $ = (selector, root = document) => root.querySelector(selector);

/** el('td', {class: 'num'}, 'text', childNode): attributes as strings, children as text or nodes. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** The polite live region every page reports progress to. */
export function announce(text) {
  $('#status').textContent = text;
}

/** An error a screen reader reads at once (role=alert), placed after `anchor`; replaces the previous one. */
export function showError(anchor, error) {
  const message = error instanceof Error ? error.message : String(error);
  let box = anchor.nextElementSibling;
  if (!box || !box.classList.contains('error')) {
    box = el('p', { class: 'error', role: 'alert' });
    anchor.after(box);
  }
  box.hidden = false;
  box.textContent = message;
  announce('');
  return box;
}

export function clearError(anchor) {
  const box = anchor.nextElementSibling;
  if (box && box.classList.contains('error')) box.hidden = true;
}

/** dt/dd pairs into a <dl>, skipping null values. */
export function fillStats(list, pairs) {
  list.replaceChildren();
  for (const [term, value] of pairs) {
    if (value === null || value === undefined) continue;
    list.append(el('dt', {}, term), el('dd', {}, value));
  }
}

export function base64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',', 2)[1] ?? '');
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

export function bytesFromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export const ms = (value) => (value === null || value === undefined ? null : `${Math.round(value)} ms`);

/** Runs `work` with `button` disabled, reporting a thrown error next to `anchor`. */
export async function busy(button, anchor, work) {
  button.disabled = true;
  clearError(anchor);
  try {
    return await work();
  } catch (error) {
    showError(anchor, error);
  } finally {
    button.disabled = false;
  }
}
