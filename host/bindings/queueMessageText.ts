/** The queue extension writes message text base64-encoded (its default `messageEncoding`). */
export function encodeQueueMessage(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * The text a queue trigger receives: base64 is decoded, like the extension; text that is not
 * valid base64 (written by another tool) is taken as it is, which the extension accepts too.
 */
export function decodeQueueMessage(stored: string): string {
  if (stored.length > 0 && stored.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(stored)) {
    const bytes = Buffer.from(stored, 'base64');
    if (bytes.toString('base64') === stored) {
      const text = bytes.toString('utf8');
      // Bytes that are not UTF-8 text were never text the extension encoded.
      if (!text.includes('\uFFFD')) return text;
    }
  }
  return stored;
}
