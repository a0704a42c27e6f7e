package dev.sluice.node;

import java.net.URI;

/**
 * How to reach a node: its cluster address, the ports of its listeners and the scheme of its client
 * API ({@code http} or {@code https}). Registered with the controller as one string ({@link
 * #encode()}) so every node can redirect clients and dial leaders; a redirect keeps the scheme the
 * leader serves, so a client on HTTPS is never sent to plaintext.
 *
 * <p>The encoding is six {@code |}-separated fields; the five-field form of older nodes has no
 * scheme and reads as {@code http}.
 */
public record NodeAddress(
    String clusterAddress,
    String host,
    int apiPort,
    int replicationPort,
    int managementPort,
    String apiScheme) {

  public NodeAddress {
    if (!apiScheme.equals("http") && !apiScheme.equals("https")) {
      throw new IllegalArgumentException("API scheme " + apiScheme + " is neither http nor https");
    }
  }

  /** A node whose client API is plain HTTP. */
  public NodeAddress(
      String clusterAddress, String host, int apiPort, int replicationPort, int managementPort) {
    this(clusterAddress, host, apiPort, replicationPort, managementPort, "http");
  }

  public String encode() {
    return String.join(
        "|",
        clusterAddress,
        host,
        Integer.toString(apiPort),
        Integer.toString(replicationPort),
        Integer.toString(managementPort),
        apiScheme);
  }

  public static NodeAddress parse(String encoded) {
    String[] p = encoded.split("\\|");
    if (p.length != 5 && p.length != 6) {
      throw new IllegalArgumentException("not a node address: " + encoded);
    }
    return new NodeAddress(
        p[0],
        p[1],
        Integer.parseInt(p[2]),
        Integer.parseInt(p[3]),
        Integer.parseInt(p[4]),
        p.length == 6 ? p[5] : "http");
  }

  public URI apiUri() {
    return URI.create(apiScheme + "://" + host + ":" + apiPort);
  }
}
