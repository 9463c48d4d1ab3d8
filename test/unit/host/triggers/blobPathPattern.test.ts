import { describe, expect, it } from 'vitest';
import { parseBlobPathPattern } from '../../../../host/triggers/blobPathPattern';

describe('blob trigger paths', () => {
  it('match names and bind their parameters, across virtual folders', () => {
    const pattern = parseBlobPathPattern('uploads/{name}.txt');
    expect(pattern).toMatchObject({ container: 'uploads', prefix: '' });
    expect(pattern.match('report.txt')).toEqual({ name: 'report' });
    expect(pattern.match('2026/01/report.txt')).toEqual({ name: '2026/01/report' });
    expect(pattern.match('report.md')).toBeUndefined();
  });

  it('list by the fixed start of the path and bind several parameters', () => {
    const pattern = parseBlobPathPattern('images/in/{user}/{file}.{ext}');
    expect(pattern.prefix).toBe('in/');
    expect(pattern.match('in/ada/cat.png')).toEqual({ user: 'ada', file: 'cat', ext: 'png' });
    expect(pattern.match('out/ada/cat.png')).toBeUndefined();
  });

  it('take a bare container to mean every blob in it', () => {
    expect(parseBlobPathPattern('drop').match('any/thing')).toEqual({});
  });

  it('refuse container names and parameters Azure Storage and the extension refuse', () => {
    expect(() => parseBlobPathPattern('Bad_Container/{name}')).toThrow(/container "Bad_Container"/);
    expect(() => parseBlobPathPattern('okay/{na me}')).toThrow(/not a parameter name/);
  });
});
