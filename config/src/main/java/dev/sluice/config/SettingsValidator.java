package dev.sluice.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules that single values and combinations of values must keep. Each rule comes from a way the
 * system would otherwise fail at run time: a frame limit below the header size can carry no data, a
 * socket buffer below one frame stalls the stream, a batch limit above the segment size makes a
 * legal batch unstorable. This is the one place these rules are written: components that take
 * settings made in code (the partition log) call {@link #requireValid(StorageSettings)} rather than
 * checking again. Stateless; thread-safe.
 */
public final class SettingsValidator {
  /** Segment positions are 32-bit in the offset index. */
  public static final long MAX_SEGMENT_BYTES = Integer.MAX_VALUE;

  /**
   * The smallest batch (Kafka's RecordBatch v2): a 61-byte batch header and one record with a null
   * key, a null value and no headers (7 bytes). A batch or segment limit below it could hold no
   * record. The persistence tests check this value against the batch format ({@code
   * dev.sluice.format.BatchLayout.MIN_BATCH_BYTES}), so a format change cannot leave it behind.
   */
  public static final long MIN_BATCH_BYTES = 68;

  /**
   * The largest frame payload: a frame, payload and header, is received into one array, whose
   * length is an int.
   */
  public static final long MAX_PEER_MAX_BYTES =
      Integer.MAX_VALUE - ReplicationSettings.FRAME_HEADER_BYTES;

  private SettingsValidator() {}

  /** Validates settings; violations found while reading come first in the error. */
  static void validate(SluiceSettings s, List<String> readViolations) {
    List<String> rules = new ArrayList<>();
    checkNode(s, rules);
    checkPorts(s, rules);
    checkStorage(s.storage(), rules);
    checkReplication(s, rules);
    checkWatchdog(s, rules);
    checkController(s.controller(), rules);
    checkJournalAgainstSeeds(s, rules);
    checkSecurity(s, rules);
    // A value that could not be read was replaced by a placeholder; rules about that key would
    // only repeat the problem, so report the read error alone.
    List<String> unreadable = readViolations.stream().map(SettingsValidator::keyOf).toList();
    List<String> v = new ArrayList<>(readViolations);
    rules.stream().filter(line -> !unreadable.contains(keyOf(line))).forEach(v::add);
    if (!v.isEmpty()) {
      throw new SettingsException(v);
    }
  }

  /** Validates already-built settings (for settings made in code). */
  public static void validate(SluiceSettings settings) {
    validate(settings, List.of());
  }

  /**
   * Checks storage settings made in code; the partition log calls it when it opens, so that a log
   * never runs with limits a node would refuse.
   *
   * @throws SettingsException listing every broken storage rule
   */
  public static void requireValid(StorageSettings storage) {
    List<String> v = new ArrayList<>();
    checkStorage(storage, v);
    if (!v.isEmpty()) {
      throw new SettingsException(v);
    }
  }

  private static String keyOf(String violation) {
    int end = violation.indexOf(" = ");
    return end < 0 ? violation : violation.substring(0, end);
  }

  private static void checkNode(SluiceSettings s, List<String> v) {
    if (s.node().id() < 0) {
      v.add("sluice.node.id = " + s.node().id() + ": must be 0 or greater");
    }
    String host = s.node().host();
    if (host.isBlank()) {
      v.add("sluice.node.host = \"\": must name an address");
    } else if (isWildcard(host)) {
      v.add(
          "sluice.node.host = "
              + host
              + ": is the address clients and other nodes connect to, and a wildcard address"
              + " reaches no one; set it to a name or address of this machine, and"
              + " sluice.node.bind-host = "
              + host
              + " to listen on every interface");
    }
    requirePositive("sluice.node.shutdown-hang-timeout", s.node().shutdownHangTimeout(), v);
  }

  /**
   * The embedded H2 journal is a file of one machine: nodes elsewhere would open files of their own
   * and keep diverging controller histories without any error. A seed on another machine is the one
   * sign of that a node can see in its own settings.
   */
  private static void checkJournalAgainstSeeds(SluiceSettings s, List<String> v) {
    if (s.controller().journal() != Journal.H2) {
      return;
    }
    List<String> remote =
        s.cluster().seedNodes().stream()
            .filter(seed -> !onThisMachine(seedHost(seed), s.node()))
            .toList();
    if (remote.isEmpty()) {
      return;
    }
    v.add(
        "sluice.cluster.seed-nodes = "
            + s.cluster().seedNodes()
            + ": "
            + (remote.size() == 1 ? "seed " : "seeds ")
            + String.join(", ", remote)
            + (remote.size() == 1 ? " is" : " are")
            + " on another machine (not a loopback address, not sluice.node.host = "
            + s.node().host()
            + "), but sluice.controller.journal = h2 keeps the controller history in a file on"
            + " this machine, so nodes on other machines would keep histories of their own; set"
            + " sluice.controller.journal = postgres and sluice.controller.postgres.url for a"
            + " cluster across machines");
  }

  private static boolean onThisMachine(String seedHost, NodeSettings node) {
    return isLoopback(seedHost)
        || sameHost(seedHost, node.host())
        || (!isWildcard(node.bindHost()) && sameHost(seedHost, node.bindHost()));
  }

  private static boolean sameHost(String a, String b) {
    return unbracket(a).equalsIgnoreCase(unbracket(b));
  }

  /**
   * The host of a seed given as {@code host:port}, {@code [v6]:port} or a full cluster address
   * {@code pekko://system@host:port}.
   */
  static String seedHost(String seed) {
    String s = seed.trim();
    int scheme = s.indexOf("://");
    if (scheme >= 0) {
      s = s.substring(scheme + 3);
    }
    int at = s.lastIndexOf('@');
    if (at >= 0) {
      s = s.substring(at + 1);
    }
    int slash = s.indexOf('/');
    if (slash >= 0) {
      s = s.substring(0, slash);
    }
    if (s.startsWith("[")) {
      int end = s.indexOf(']');
      return end > 0 ? s.substring(0, end + 1) : s;
    }
    int colon = s.lastIndexOf(':');
    return colon >= 0 && s.indexOf(':') == colon ? s.substring(0, colon) : s;
  }

  /** True for the addresses that mean "every interface": {@code 0.0.0.0} and {@code ::}. */
  public static boolean isWildcard(String host) {
    String h = unbracket(host.trim());
    return h.equals("0.0.0.0") || h.equals("::") || h.equals("0:0:0:0:0:0:0:0");
  }

  private static String unbracket(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  private static void checkPorts(SluiceSettings s, List<String> v) {
    Map<String, Integer> ports = new java.util.LinkedHashMap<>();
    ports.put("sluice.api.port", s.api().port());
    ports.put("sluice.replication.port", s.replication().port());
    ports.put("sluice.management.port", s.management().port());
    ports.put("sluice.cluster.port", s.cluster().port());
    Map<Integer, String> seen = new HashMap<>();
    for (Map.Entry<String, Integer> e : ports.entrySet()) {
      int port = e.getValue();
      if (port < 0 || port > 65535) {
        v.add(e.getKey() + " = " + port + ": must be between 0 and 65535");
      } else if (port != 0) {
        String other = seen.putIfAbsent(port, e.getKey());
        if (other != null) {
          v.add(e.getKey() + " = " + port + ": the same port as " + other + "; ports must differ");
        }
      }
    }
  }

  static void checkStorage(StorageSettings st, List<String> v) {
    if (st.segmentBytes() < MIN_BATCH_BYTES || st.segmentBytes() > MAX_SEGMENT_BYTES) {
      v.add(
          "sluice.storage.segment-bytes = "
              + st.segmentBytes()
              + ": must be between "
              + MIN_BATCH_BYTES
              + " and "
              + MAX_SEGMENT_BYTES
              + " (index positions are 32-bit)");
    }
    if (st.indexIntervalBytes() <= 0) {
      v.add("sluice.storage.index-interval-bytes = " + st.indexIntervalBytes() + ": must be > 0");
    }
    if (st.maxBatchBytes() < MIN_BATCH_BYTES) {
      v.add(
          "sluice.storage.max-batch-bytes = "
              + st.maxBatchBytes()
              + ": must be at least "
              + MIN_BATCH_BYTES
              + " (a batch header and one record)");
    } else if (st.maxBatchBytes() > st.segmentBytes() && st.segmentBytes() > 0) {
      v.add(
          "sluice.storage.max-batch-bytes = "
              + st.maxBatchBytes()
              + ": must not be larger than sluice.storage.segment-bytes = "
              + st.segmentBytes()
              + ", or a batch of legal size would not fit in a segment");
    }
    if (st.retentionBytes() < -1 || st.retentionBytes() == 0) {
      v.add(
          "sluice.storage.retention.bytes = "
              + st.retentionBytes()
              + ": must be -1 (no limit) or greater than 0");
    }
    if (st.flush() == null) {
      v.add(
          "sluice.storage.flush = null: must be one of " + ConfigEnum.spellings(FlushPolicy.class));
    }
    requirePositive("sluice.storage.retention.check-interval", st.retentionCheckInterval(), v);
    requirePositive(
        "sluice.storage.high-watermark-checkpoint-interval",
        st.highWatermarkCheckpointInterval(),
        v);
    if (st.retentionTime() == null || st.retentionTime().isNegative()) {
      v.add(
          "sluice.storage.retention.time = "
              + st.retentionTime()
              + ": must be 0 (no limit) or positive");
    }
  }

  private static void checkReplication(SluiceSettings s, List<String> v) {
    ReplicationSettings r = s.replication();
    if (r.peerMaxBytes() <= ReplicationSettings.FRAME_HEADER_BYTES) {
      v.add(
          "sluice.replication.peer-max-bytes = "
              + r.peerMaxBytes()
              + ": must be larger than the frame header ("
              + ReplicationSettings.FRAME_HEADER_BYTES
              + " bytes), or no frame could carry data");
    } else if (r.peerMaxBytes() > MAX_PEER_MAX_BYTES) {
      v.add(
          "sluice.replication.peer-max-bytes = "
              + r.peerMaxBytes()
              + ": must be at most "
              + MAX_PEER_MAX_BYTES
              + ", or a frame with its header would not fit one array");
    }
    if (r.socketBufferBytes() < r.maxFrameBytes()) {
      v.add(
          "sluice.replication.socket-buffer-bytes = "
              + r.socketBufferBytes()
              + ": must hold at least one frame (sluice.replication.peer-max-bytes = "
              + r.peerMaxBytes()
              + " + "
              + ReplicationSettings.FRAME_HEADER_BYTES
              + " header bytes)");
    }
    BackoffSettings b = r.backoff();
    requirePositive("sluice.replication.backoff.min", b.min(), v);
    if (b.max().compareTo(b.min()) < 0) {
      v.add(
          "sluice.replication.backoff.max = "
              + b.max()
              + ": must not be smaller than sluice.replication.backoff.min = "
              + b.min());
    }
    if (b.randomFactor() < 0 || b.randomFactor() > 1) {
      v.add(
          "sluice.replication.backoff.random-factor = "
              + b.randomFactor()
              + ": must be between 0 and 1");
    }
    requirePositive("sluice.replication.replica-lag-time-max", r.replicaLagTimeMax(), v);
    requireAtLeastOne("sluice.replication.min-in-sync-replicas", r.minInSyncReplicas(), v);
  }

  private static void checkWatchdog(SluiceSettings s, List<String> v) {
    WatchdogSettings w = s.watchdog();
    requirePositive("sluice.watchdog.interval", w.interval(), v);
    if (w.stallTimeout().compareTo(w.interval()) <= 0) {
      v.add(
          "sluice.watchdog.stall-timeout = "
              + w.stallTimeout()
              + ": must be larger than sluice.watchdog.interval = "
              + w.interval()
              + ", or every sample would look like a stall");
    }
    requirePositive("sluice.api.request-timeout", s.api().requestTimeout(), v);
    checkInlineBatch(s, v);
    checkFetchWait(s.api(), v);
  }

  private static void checkFetchWait(ApiSettings api, List<String> v) {
    requirePositive("sluice.api.max-fetch-wait", api.maxFetchWait(), v);
    if (api.maxFetchWait().compareTo(api.requestTimeout()) >= 0) {
      v.add(
          "sluice.api.max-fetch-wait = "
              + api.maxFetchWait()
              + ": must be smaller than sluice.api.request-timeout = "
              + api.requestTimeout()
              + ", so that a client waiting on a fetch never mistakes the wait for a dead server");
    }
  }

  private static void checkInlineBatch(SluiceSettings s, List<String> v) {
    long inline = s.api().inlineBatchBytes();
    long maxBatch = s.storage().maxBatchBytes();
    if (inline <= 0) {
      v.add("sluice.api.inline-batch-bytes = " + inline + ": must be > 0");
    } else if (inline > maxBatch && maxBatch > 0) {
      v.add(
          "sluice.api.inline-batch-bytes = "
              + inline
              + ": must not be larger than sluice.storage.max-batch-bytes = "
              + maxBatch
              + ": the records of one batched produce request become one batch, which that limits");
    }
  }

  private static void checkController(ControllerSettings c, List<String> v) {
    requireAtLeastOne("sluice.controller.pool-size", c.poolSize(), v);
    if (c.producerIdBlock() < 1 || c.producerIdBlock() > ControllerSettings.MAX_PRODUCER_ID_BLOCK) {
      v.add(
          "sluice.controller.producer-id-block = "
              + c.producerIdBlock()
              + ": must be between 1 and "
              + ControllerSettings.MAX_PRODUCER_ID_BLOCK);
    }
    requirePositive("sluice.controller.leader-balance.interval", c.leaderBalance().interval(), v);
    int imbalance = c.leaderBalance().imbalancePercent();
    if (imbalance < 0 || imbalance > 100) {
      v.add(
          "sluice.controller.leader-balance.imbalance-percent = "
              + imbalance
              + ": must be between 0 and 100");
    }
    if (c.journal() == Journal.H2 && c.h2User().isBlank()) {
      v.add(
          "sluice.controller.h2-user = \""
              + c.h2User()
              + "\": must name a database user when sluice.controller.journal = h2");
    }
    if (c.journal() != Journal.POSTGRES) {
      return;
    }
    PostgresSettings pg = c.postgres();
    if (!pg.url().startsWith("jdbc:postgresql:")) {
      v.add(
          "sluice.controller.postgres.url = \""
              + pg.url()
              + "\": must start with jdbc:postgresql: when sluice.controller.journal = postgres");
    }
    if (pg.user().isBlank()) {
      v.add(
          "sluice.controller.postgres.user = \""
              + pg.user()
              + "\": must name a database user when sluice.controller.journal = postgres");
    }
  }

  private static void checkSecurity(SluiceSettings s, List<String> v) {
    SecuritySettings sec = s.security();
    checkTls(sec.tls(), v);
    String api = "sluice.security.api.";
    if (sec.api().auth() == SecuritySettings.AuthMode.TOKENS && sec.api().tokensFile().isEmpty()) {
      v.add(api + "tokens-file = \"\": must name the tokens file when " + api + "auth = tokens");
    }
    if (sec.management().auth() == SecuritySettings.AuthMode.TOKENS
        && sec.api().tokensFile().isEmpty()) {
      v.add(
          "sluice.security.management.auth = tokens: needs "
              + api
              + "tokens-file, whose admin tokens are the management passwords");
    }
    requirePositive(api + "tokens-reload-interval", sec.api().tokensReloadInterval(), v);
    List<String> plaintext =
        java.util.Arrays.stream(TlsSettings.Listener.values())
            .filter(l -> !sec.tls().on(l))
            .map(TlsSettings.Listener::configValue)
            .toList();
    // Reachable from the network when either address is: the advertised one routes there, the
    // bound one (0.0.0.0 above all) accepts there.
    String exposed = exposedAddress(s.node());
    if (!plaintext.isEmpty() && exposed != null && !sec.allowPlaintextOnNetwork()) {
      v.add(
          exposed
              + ": not a loopback address, and the listeners "
              + String.join(", ", plaintext)
              + " are plaintext (sluice.security.tls.enabled = "
              + (sec.tls().enabled() ? "on" : "off")
              + "); turn TLS on for them, or set"
              + " sluice.security.allow-plaintext-on-network = on to accept that anyone on the"
              + " network can read and write");
    }
    List<String> open = new java.util.ArrayList<>();
    if (sec.api().auth() == SecuritySettings.AuthMode.NONE) {
      open.add("sluice.security.api.auth = none");
    }
    if (sec.management().auth() == SecuritySettings.AuthMode.NONE) {
      open.add("sluice.security.management.auth = none");
    }
    if (plaintext.isEmpty()
        && !open.isEmpty()
        && exposed != null
        && !sec.allowPlaintextOnNetwork()) {
      v.add(
          exposed
              + ": not a loopback address, and "
              + String.join(", ", open)
              + " lets anyone who reaches it in without a token; set tokens, or set"
              + " sluice.security.allow-plaintext-on-network = on to accept that");
    }
  }

  /**
   * {@code key = value} of the first of the node's addresses that is not loopback, or null when
   * both are (a blank host is reported by the node rule alone).
   */
  private static String exposedAddress(NodeSettings node) {
    if (node.host().isBlank()) {
      return null;
    }
    if (!isLoopback(node.host())) {
      return "sluice.node.host = " + node.host();
    }
    if (!isLoopback(node.bindHost())) {
      return "sluice.node.bind-host = " + node.bindHost();
    }
    return null;
  }

  private static void checkTls(TlsSettings t, List<String> v) {
    String p = TlsSettings.PREFIX;
    requirePositive(p + "reload-interval", t.reloadInterval(), v);
    for (String protocol : t.protocols()) {
      if (!TlsSettings.ALLOWED_PROTOCOLS.contains(protocol)) {
        v.add(
            p
                + "protocols = "
                + t.protocols()
                + ": "
                + protocol
                + " is not allowed; must be among "
                + String.join(", ", TlsSettings.ALLOWED_PROTOCOLS));
      }
    }
    if (!t.enabled()) {
      return;
    }
    if (t.protocols().isEmpty()) {
      v.add(p + "protocols = []: must name at least one of TLSv1.2, TLSv1.3 when TLS is on");
    }
    if (t.listeners().isEmpty()) {
      v.add(
          p
              + "listeners = []: must name at least one listener when "
              + p
              + "enabled = on; set enabled = off for no TLS");
    }
    boolean pem = t.keyFile().isPresent() || t.certFile().isPresent();
    if (t.keyStore().isPresent() && pem) {
      v.add(
          p
              + "key-store = "
              + t.keyStore().get()
              + ": give either key-file and cert-file (PEM) or key-store (PKCS12), not both");
    } else if (t.keyFile().isPresent() && t.certFile().isEmpty()) {
      v.add(
          p
              + "cert-file = \"\": the certificate chain is required with "
              + p
              + "key-file = "
              + t.keyFile().get());
    } else if (t.certFile().isPresent() && t.keyFile().isEmpty()) {
      v.add(
          p
              + "key-file = \"\": the private key is required with "
              + p
              + "cert-file = "
              + t.certFile().get());
    } else if (!pem && t.keyStore().isEmpty()) {
      v.add(
          p
              + "key-store = \"\": TLS is on ("
              + p
              + "enabled = on) but no key material is set; give key-file and cert-file (PEM)"
              + " or key-store (PKCS12)");
    }
    if (t.caFile().isPresent() && t.trustStore().isPresent()) {
      v.add(
          p
              + "trust-store = "
              + t.trustStore().get()
              + ": give either ca-file (PEM) or trust-store (PKCS12), not both; either may hold"
              + " several CAs");
    } else if (t.caFile().isEmpty() && t.trustStore().isEmpty()) {
      v.add(
          p
              + "ca-file = \"\": TLS is on ("
              + p
              + "enabled = on) but no trust anchors are set; give ca-file (PEM) or trust-store"
              + " (PKCS12)");
    }
  }

  /**
   * True for {@code localhost} and loopback literals ({@code 127.0.0.0/8}, {@code ::1}). Other
   * names count as network addresses: the validator does no DNS look-up. The CLI asks the same
   * question before it writes a node's settings.
   */
  public static boolean isLoopback(String host) {
    String h = host.trim().toLowerCase(java.util.Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")) {
      return true;
    }
    String[] octets = h.split("\\.", -1);
    if (octets.length != 4 || !octets[0].equals("127")) {
      return false;
    }
    for (String o : octets) {
      if (o.isEmpty() || o.length() > 3 || !o.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (Integer.parseInt(o) > 255) {
        return false;
      }
    }
    return true;
  }

  private static void requireAtLeastOne(String key, int value, List<String> v) {
    if (value < 1) {
      v.add(key + " = " + value + ": must be at least 1");
    }
  }

  private static void requirePositive(String key, Duration d, List<String> v) {
    if (d == null || d.isNegative() || d.isZero()) {
      v.add(key + " = " + d + ": must be positive");
    }
  }
}
