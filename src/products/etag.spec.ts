import { parseIfMatch, versionEtag } from './etag';

describe('ETag / If-Match', () => {
  it('renders the version as a strong entity tag', () => {
    expect(versionEtag(7)).toBe('"7"');
  });

  it('reads strong tags, lists and *; weak or malformed tags match nothing', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('*')).toEqual({ any: true });
    expect(parseIfMatch('"3"')).toEqual({ any: false, versions: [3] });
    expect(parseIfMatch(' "3" , "5"')).toEqual({ any: false, versions: [3, 5] });
    expect(parseIfMatch('W/"3"')).toEqual({ any: false, versions: [] });
    expect(parseIfMatch('3')).toEqual({ any: false, versions: [] });
  });
});
