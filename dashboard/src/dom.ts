// (SPA) the only way the dashboard builds DOM: elements from tag names, attributes through
// setAttribute, and text through text nodes. There is no HTML-string path at all, so a series label
// such as `<img src=x onerror=alert(1)>` can only ever show as the characters it is made of.

/** A child: a node, or text (numbers are shown with String()); null/undefined/false are skipped. */
export type Child = Node | string | number | null | undefined | false;

type Listener = (event: Event) => void;

/** Attributes (set with setAttribute, `true` = present, false/undefined = absent) and `on*` listeners. */
export type Props = Record<string, string | number | boolean | undefined | null | Listener>;

/** Inline styles and inline handlers are refused: the CSP forbids them and data must never reach them. */
function checkAttribute(name: string): void {
  if (name === 'style' || name === 'srcdoc' || /^on/i.test(name)) {
    throw new Error(`Attribute ${name} is not allowed; use a class or an on<event> listener prop`);
  }
}

function applyProps(el: Element, props: Props | undefined): void {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (typeof value === 'function') {
      if (!key.startsWith('on')) throw new Error(`Only on<event> props take a function, got ${key}`);
      el.addEventListener(key.slice(2), value);
      continue;
    }
    if (value === undefined || value === null || value === false) continue;
    const name = key === 'className' ? 'class' : key;
    checkAttribute(name);
    el.setAttribute(name, value === true ? '' : String(value));
  }
}

/** Append children as nodes; text always becomes a text node. */
export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(
      typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c,
    );
  }
}

/** Create an HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyProps(el, props ?? undefined);
  append(el, ...children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Create an SVG element (sparklines, icons). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, props ?? undefined);
  append(el, ...children);
  return el;
}

/** Replace every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A table: header labels and rows of cells (a cell is a child, or a `td` built by the caller). */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly Child[] | HTMLTableRowElement)[],
  props?: Props,
): HTMLDivElement {
  const head = h('tr', null, ...headers.map((t) => h('th', { scope: 'col' }, t)));
  const body = h('tbody');
  for (const r of rows) {
    if (r instanceof HTMLTableRowElement) body.appendChild(r);
    else
      body.appendChild(
        h('tr', null, ...r.map((c) => (c instanceof HTMLTableCellElement ? c : h('td', null, c)))),
      );
  }
  // The wrapper scrolls sideways on a phone instead of squeezing the columns.
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption, ...props },
    h('table', null, h('caption', { class: 'sr-only' }, caption), h('thead', null, head), body),
  );
}
