package dev.sluice.api;

/**
 * Content types of the client API: metadata, errors and redirects are JSON; record values and
 * batches are raw bytes.
 *
 * <p>Thread-safety: constants only.
 */
public final class MediaTypes {
  /** Topic requests and descriptions, produce answers, error and redirect bodies. */
  public static final String JSON = "application/json";

  /** A produced or fetched record value, or whole batches in the on-disk batch format. */
  public static final String OCTET_STREAM = "application/octet-stream";

  private MediaTypes() {}
}
