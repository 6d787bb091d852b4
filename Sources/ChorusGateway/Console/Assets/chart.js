// A horizontal bar chart as inline SVG, drawn here so the console needs no chart library. Bars are sorted by the
// caller; labels sit left of the bars and values at their ends. The SVG carries a <title> and <desc> and each bar
// a <title>, and the page shows the same numbers in a table.

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export const format = (value) => (Number.isInteger(value) ? value.toLocaleString() : value.toFixed(4).replace(/\.?0+$/, ''));

/** bars: [{label, value}]; returns an <svg> sized by its viewBox (CSS makes it as wide as its container). */
export function barChart(bars, title) {
  const rowHeight = 26;
  const labelWidth = 180;
  const barArea = 420;
  const width = labelWidth + barArea + 90;
  const height = Math.max(1, bars.length) * rowHeight + 10;
  const max = Math.max(...bars.map((b) => b.value), 0) || 1;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'bars', 'aria-labelledby': 'chart-title chart-desc' });
  root.append(svg('title', { id: 'chart-title' }, title),
    svg('desc', { id: 'chart-desc' }, bars.map((b) => `${b.label}: ${format(b.value)}`).join('; ') || 'No data'));
  if (!bars.length) {
    root.append(svg('text', { x: 10, y: 22, class: 'label' }, 'No requests in this window.'));
    return root;
  }
  bars.forEach((bar, index) => {
    const y = 5 + index * rowHeight;
    const length = Math.max(1, (bar.value / max) * barArea);
    const label = bar.label.length > 24 ? `${bar.label.slice(0, 23)}…` : bar.label;
    const group = svg('g', {});
    group.append(svg('title', {}, `${bar.label}: ${format(bar.value)}`),
      svg('text', { x: labelWidth - 8, y: y + 17, 'text-anchor': 'end', class: 'label' }, label),
      svg('rect', { x: labelWidth, y: y + 3, width: length, height: rowHeight - 8, rx: 3, class: 'bar' }),
      svg('text', { x: labelWidth + length + 6, y: y + 17, class: 'value' }, format(bar.value)));
    root.append(group);
  });
  return root;
}
