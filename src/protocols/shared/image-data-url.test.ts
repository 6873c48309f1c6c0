/** Unit tests for data-URL ⇄ base64 conversion. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBase64DataUrl, toBase64DataUrl } from './image-data-url.ts';

describe('image data URLs', () => {
  it('splits a base64 data URL into media type and data, and joins it back exactly', () => {
    const url = 'data:image/png;base64,iVBORw0KGgo=';
    assert.deepEqual(parseBase64DataUrl(url), { mediaType: 'image/png', data: 'iVBORw0KGgo=' });
    assert.equal(toBase64DataUrl('image/png', 'iVBORw0KGgo='), url);
  });

  it('answers undefined for http URLs and non-base64 data URLs', () => {
    assert.equal(parseBase64DataUrl('https://example.com/a.png'), undefined);
    assert.equal(parseBase64DataUrl('data:text/plain,hello'), undefined);
  });
});
