package dev.sluice.security;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The node a certificate names: exactly one subject alternative name of type URI, {@code
 * sluice:node:<id>}, with the id in canonical decimal form (0 or greater, no sign, no leading
 * zeros). The subject's CN is ignored, because many PKIs let the requester choose it; a SAN URI is
 * what the cluster CA writes. A certificate with no such URI, two of them, or a malformed id names
 * no node.
 *
 * <p>Stateless; thread-safe.
 */
public final class NodeIdentity {
  public static final String URI_PREFIX = "sluice:node:";

  /** The SAN type number of a URI (RFC 5280 {@code uniformResourceIdentifier [6]}). */
  private static final int SAN_URI = 6;

  private NodeIdentity() {}

  /** The node {@code leaf} names, or empty when it names none or is ambiguous. */
  public static OptionalInt of(X509Certificate leaf) {
    List<String> uris = nodeUris(leaf);
    if (uris.size() != 1) {
      return OptionalInt.empty();
    }
    return parse(uris.get(0));
  }

  /**
   * The node the peer of a TLS session names with its leaf certificate; empty when the peer sent no
   * certificate (a server without client authentication, or a plaintext placeholder session) or its
   * certificate names no node.
   */
  public static OptionalInt ofSession(SSLSession session) {
    if (session == null) {
      return OptionalInt.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
        return OptionalInt.empty();
      }
      return of(leaf);
    } catch (SSLPeerUnverifiedException e) {
      return OptionalInt.empty();
    }
  }

  /** The SAN URI naming node {@code id}: {@code sluice:node:<id>}. */
  public static String uri(int id) {
    if (id < 0) {
      throw new IllegalArgumentException("node id " + id + " is negative");
    }
    return URI_PREFIX + id;
  }

  /**
   * Why {@code leaf} names no node, for messages: empty when {@link #of} finds a node. The text
   * completes "certificate ..." ("has no SAN URI sluice:node:&lt;id&gt;").
   */
  public static Optional<String> problem(X509Certificate leaf) {
    List<String> uris = nodeUris(leaf);
    if (uris.isEmpty()) {
      return Optional.of(
          "has no SAN URI " + URI_PREFIX + "<id> (subject " + leaf.getSubjectX500Principal() + ")");
    }
    if (uris.size() > 1) {
      return Optional.of(
          "has " + uris.size() + " SAN URIs naming nodes (" + String.join(", ", uris) + ")");
    }
    if (parse(uris.get(0)).isEmpty()) {
      return Optional.of(
          "has SAN URI "
              + uris.get(0)
              + ", whose id is not a node id (a decimal number, 0 or greater)");
    }
    return Optional.empty();
  }

  /** Every SAN URI of {@code leaf} that starts with {@link #URI_PREFIX}. */
  public static List<String> nodeUris(X509Certificate leaf) {
    Collection<List<?>> sans;
    try {
      sans = leaf.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return List.of();
    }
    if (sans == null) {
      return List.of();
    }
    List<String> uris = new ArrayList<>();
    for (List<?> san : sans) {
      if (san.size() >= 2
          && san.get(0) instanceof Integer type
          && type == SAN_URI
          && san.get(1) instanceof String value
          && value.startsWith(URI_PREFIX)) {
        uris.add(value);
      }
    }
    return List.copyOf(uris);
  }

  private static OptionalInt parse(String uri) {
    String digits = uri.substring(URI_PREFIX.length());
    if (digits.isEmpty()
        || digits.length() > 10
        || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
        || (digits.length() > 1 && digits.charAt(0) == '0')) {
      return OptionalInt.empty();
    }
    long id = Long.parseLong(digits);
    return id > Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of((int) id);
  }
}
