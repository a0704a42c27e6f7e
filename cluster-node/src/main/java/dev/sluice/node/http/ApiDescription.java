package dev.sluice.node.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /openapi.yaml}: the client API described as an OpenAPI 3 document, the resource
 * {@value #RESOURCE} of this module. Served without credentials: it describes the API, it holds no
 * data.
 *
 * <p>The document is written by hand beside the routes; {@code ApiDescriptionTest} probes every
 * path and method it lists against a real node, and every path and method a node serves against it,
 * so the two cannot drift apart unnoticed.
 *
 * <p>Thread-safety: immutable; the document is read once, when the class loads.
 */
public final class ApiDescription extends AllDirectives {
  /** The path segment the document is served at. */
  public static final String PATH = "openapi.yaml";

  /** The class path resource holding the document. */
  public static final String RESOURCE = "/openapi.yaml";

  /** RFC 9512's media type for YAML; the document is UTF-8. */
  static final ContentType YAML = ContentTypes.parse("application/yaml");

  private static final byte[] DOCUMENT = load();

  /** The route serving the document. */
  public Route route() {
    return path(PATH, () -> get(() -> complete(HttpResponse.create().withEntity(YAML, DOCUMENT))));
  }

  /** The document's bytes, as served. */
  public static byte[] document() {
    return DOCUMENT.clone();
  }

  private static byte[] load() {
    try (InputStream in = ApiDescription.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "the API description " + RESOURCE + " is missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the API description " + RESOURCE, e);
    }
  }
}
