package dev.sluice.api;

/**
 * Names of the HTTP headers the client API defines. Values are ASCII decimal numbers, except {@link
 * #KEY}.
 *
 * <p>Thread-safety: constants only.
 */
public final class Headers {
  /**
   * A record's key. On a produce request it is optional; on a fetched record it is present when the
   * record has a key. The server sends the key's UTF-8 bytes, which an HTTP client reading headers
   * as ISO-8859-1 must decode again; request headers are sent as US-ASCII by most clients, so a
   * produce key is ASCII in practice.
   */
  public static final String KEY = "X-Sluice-Key";

  /** The offset of the record a single-record fetch answered. */
  public static final String OFFSET = "X-Sluice-Offset";

  /** On a batch fetch: the offset to ask for next (the fetched offset when nothing was read). */
  public static final String NEXT_OFFSET = "X-Sluice-Next-Offset";

  /** The answering replica's high watermark: offsets below it are committed and readable. */
  public static final String HIGH_WATERMARK = "X-Sluice-High-Watermark";

  /** On a batch fetch: the first offset still in the answering replica's log. */
  public static final String LOG_START_OFFSET = "X-Sluice-Log-Start-Offset";

  private Headers() {}
}
