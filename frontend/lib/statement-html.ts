/**
 * A package's statement (statementHtml: pandoc's HTML, math typeset by KaTeX on the server)
 * made into nodes for the page. The server has sanitised it already; this is the second
 * wall, and it never runs anything: the HTML is parsed into an inert document (DOMParser:
 * no scripts run, nothing loads), only known elements and attributes are kept, and the
 * nodes themselves are moved into the page (no second parse of serialised HTML).
 *
 * Kept: the elements pandoc, KaTeX (HTML, MathML, SVG) and figures use; class, style
 * without url()/@import, ids (prefixed, so a statement cannot shadow the page's own),
 * links to http(s), mailto and the statement's own #anchors, and images that are data: URLs
 * (the server inlines the package's figures; nothing is fetched from another host).
 * Headings move down so the statement's first level is an h3 under the page's h2 title.
 */

const ID_PREFIX = 'statement-';

/** Taken out with everything inside them. */
const DROPPED = new Set([
  'script', 'style', 'template', 'noscript', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'link', 'meta', 'base',
  'form', 'input', 'button', 'textarea', 'select', 'option', 'audio', 'video', 'source', 'track', 'canvas', 'picture',
  'foreignobject', 'use', 'image', 'animate', 'animatemotion', 'animatetransform', 'set', 'title', 'desc', 'metadata',
]);

/** Kept as they are; any other element gives way to its children. */
const ELEMENTS = new Set([
  // pandoc's HTML
  'a', 'abbr', 'aside', 'b', 'blockquote', 'br', 'caption', 'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'div', 'dl', 'dt', 'em',
  'figcaption', 'figure', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p',
  'pre', 'q', 's', 'samp', 'section', 'small', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'u', 'ul', 'var',
  // KaTeX's MathML (read by screen readers)
  'math', 'semantics', 'annotation', 'mrow', 'mi', 'mo', 'mn', 'ms', 'mtext', 'mspace', 'msup', 'msub', 'msubsup', 'mfrac', 'msqrt', 'mroot',
  'mover', 'munder', 'munderover', 'mtable', 'mtr', 'mtd', 'mlabeledtr', 'mstyle', 'mpadded', 'mphantom', 'menclose', 'merror', 'mmultiscripts', 'mprescripts', 'none',
  // KaTeX's SVG (roots, stretchy arrows and braces)
  'svg', 'path', 'line', 'g', 'rect',
]);

/** Attributes kept on any kept element (names lowercased); href and src are checked apart. */
const ATTRIBUTES = new Set([
  'class', 'id', 'style', 'title', 'alt', 'lang', 'dir', 'aria-hidden', 'colspan', 'rowspan', 'scope', 'align', 'valign', 'width', 'height',
  'start', 'type', 'reversed', 'value',
  'xmlns', 'display', 'encoding', 'mathvariant', 'stretchy', 'fence', 'separator', 'lspace', 'rspace', 'accent', 'accentunder', 'largeop',
  'symmetric', 'movablelimits', 'minsize', 'maxsize', 'form', 'columnalign', 'rowalign', 'columnlines', 'rowlines', 'columnspacing', 'rowspacing',
  'columnspan', 'displaystyle', 'scriptlevel', 'depth', 'voffset', 'notation', 'linethickness', 'mathcolor', 'mathbackground',
  'viewbox', 'preserveaspectratio', 'd', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'fill', 'stroke', 'stroke-width', 'transform',
]);

/** Attributes whose value is CSS or a paint: they may not name anything to fetch. */
const CSS_VALUED = new Set(['style', 'fill', 'stroke']);
const UNSAFE_CSS = /url\s*\(|image-set|image\s*\(|expression\s*\(|@import|binding|javascript:|\\/i;
const SAFE_LINK = /^(https?:|mailto:)/i;
const INLINE_IMAGE = /^data:image\/(png|jpeg|gif|svg\+xml);base64,[a-z0-9+/=\s]*$/i;

/** The statement as nodes to put in its container (a fragment of the page's document). */
export function statementNodes(html: string): DocumentFragment {
  const inert = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  const body = inert.body;
  clean(body);
  shiftHeadings(body);
  const fragment = document.createDocumentFragment();
  for (const node of Array.from(body.childNodes)) fragment.append(document.adoptNode(node));
  return fragment;
}

function clean(parent: Element): void {
  for (const node of Array.from(parent.childNodes)) {
    if (node.nodeType === Node.TEXT_NODE) continue;
    if (node.nodeType !== Node.ELEMENT_NODE) {
      node.remove(); // comments, processing instructions
      continue;
    }
    const el = node as Element;
    const name = el.localName.toLowerCase();
    if (DROPPED.has(name)) {
      el.remove();
      continue;
    }
    clean(el);
    if (!ELEMENTS.has(name)) {
      el.replaceWith(...Array.from(el.childNodes));
      continue;
    }
    cleanAttributes(el, name);
  }
}

function cleanAttributes(el: Element, name: string): void {
  for (const attr of Array.from(el.attributes)) {
    const key = attr.name.toLowerCase();
    const value = attr.value;
    if (key === 'href' && name === 'a') {
      if (value.startsWith('#') && value.length > 1) el.setAttribute('href', `#${ID_PREFIX}${value.slice(1)}`);
      else if (!SAFE_LINK.test(value.trim())) el.removeAttribute(attr.name);
      continue;
    }
    if (key === 'src' && name === 'img') {
      if (!INLINE_IMAGE.test(value)) el.removeAttribute(attr.name);
      continue;
    }
    if (!ATTRIBUTES.has(key) || (CSS_VALUED.has(key) && UNSAFE_CSS.test(value))) {
      el.removeAttribute(attr.name);
      continue;
    }
    if (key === 'id') el.setAttribute('id', `${ID_PREFIX}${value}`);
  }
  if (name === 'a' && el.hasAttribute('href') && !el.getAttribute('href')!.startsWith('#')) el.setAttribute('rel', 'noopener noreferrer nofollow');
}

/** The statement's top heading level becomes h3 (the page has h1 and the problem's h2 above it). */
function shiftHeadings(root: Element): void {
  const headings = Array.from(root.querySelectorAll('h1, h2, h3, h4, h5, h6'));
  if (headings.length === 0) return;
  const top = Math.min(...headings.map((h) => Number(h.localName[1])));
  const by = 3 - top;
  if (by === 0) return;
  for (const h of headings) {
    const level = Math.min(6, Math.max(1, Number(h.localName[1]) + by));
    const moved = h.ownerDocument.createElement(`h${level}`);
    for (const attr of Array.from(h.attributes)) moved.setAttribute(attr.name, attr.value);
    moved.append(...Array.from(h.childNodes));
    h.replaceWith(moved);
  }
}
