// The monitor shows what users typed (instance ids, order fields, event names, reasons). The page
// script builds its DOM with textContent only, so the browser never parses those as HTML; what the
// server writes into the page itself goes through these two functions.

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text safe inside HTML element content and quoted attribute values. */
export function escapeHtml(value: string | number | boolean | null | undefined): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  return text.replace(/[&<>"'`]/g, (character) => entities[character] ?? character);
}

/**
 * JSON for a `<script type="application/json">` element. Escaping `<` keeps `</script>` and
 * `<!--` in the data from ending or confusing the element; U+2028/U+2029 are escaped so the text
 * is also valid JavaScript should anyone paste it into a script.
 */
export function jsonForScriptElement(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
