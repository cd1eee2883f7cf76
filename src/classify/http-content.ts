/**
 * Applications nDPI names from what an HTTP transaction carries rather than from its host:
 * OCSP and IPP by their content types (whoever serves them), MPEG-DASH by its manifest and
 * segment files. The classifier asks after the parsers filled the record's `http`.
 */

/** The record's `http` fields this reads. */
export interface HttpFields {
  url?: unknown;
  content_type?: unknown;
}

/** Applications a content type names, whatever the host. */
const BY_CONTENT_TYPE = new Map<string, string>([
  ['application/ocsp-request', 'OCSP'],
  ['application/ocsp-response', 'OCSP'],
  ['application/ipp', 'IPP'],
  ['application/dash+xml', 'MpegDash'],
]);

/** URL path endings of MPEG-DASH: the manifest, media segments, and the MP4 files they point to. */
const DASH_PATH = /\.(?:mpd|m4s|mp4)$/i;

/**
 * The application a transaction's content names: `definite` ones (content types) win over host
 * rules; a DASH-looking path only names the flow when its host names nothing.
 */
export function httpContentApp(http: HttpFields | undefined): { app: string; definite: boolean } | undefined {
  if (http === undefined) return undefined;
  if (typeof http.content_type === 'string') {
    const semi = http.content_type.indexOf(';');
    const type = (semi < 0 ? http.content_type : http.content_type.slice(0, semi)).trim().toLowerCase();
    const app = BY_CONTENT_TYPE.get(type);
    if (app !== undefined) return { app, definite: true };
  }
  if (typeof http.url === 'string') {
    const q = http.url.search(/[?#]/);
    if (DASH_PATH.test(q < 0 ? http.url : http.url.slice(0, q))) return { app: 'MpegDash', definite: false };
  }
  return undefined;
}
