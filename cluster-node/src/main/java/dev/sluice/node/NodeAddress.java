package dev.sluice.node;

import java.net.URI;

/**
 * How to reach a node: its cluster address and the ports of its listeners. Registered with the
 * controller as one string ({@link #encode()}) so every node can redirect clients and dial leaders.
 */
public record NodeAddress(
    String clusterAddress, String host, int apiPort, int replicationPort, int managementPort) {

  public String encode() {
    return String.join(
        "|",
        clusterAddress,
        host,
        Integer.toString(apiPort),
        Integer.toString(replicationPort),
        Integer.toString(managementPort));
  }

  public static NodeAddress parse(String encoded) {
    String[] p = encoded.split("\\|");
    if (p.length != 5) {
      throw new IllegalArgumentException("not a node address: " + encoded);
    }
    return new NodeAddress(
        p[0], p[1], Integer.parseInt(p[2]), Integer.parseInt(p[3]), Integer.parseInt(p[4]));
  }

  public URI apiUri() {
    return URI.create("http://" + host + ":" + apiPort);
  }
}
