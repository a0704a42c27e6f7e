package dev.sluice.node;

import com.typesafe.config.Config;
import dev.sluice.config.SluiceConfigLoader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Configs for nodes started inside a test JVM: free ports, everything under one temp dir; {@link
 * #secureSingleNode} adds TLS everywhere and tokens ({@link TestSecurity}).
 */
public final class TestNodes {
  private TestNodes() {}

  public static Config singleNode(Path dir, Map<String, String> extra) {
    Map<String, String> overrides = new HashMap<>();
    overrides.put("sluice.node.id", "1");
    overrides.put("sluice.data-dir", dir.resolve("node-1").toString());
    overrides.put("sluice.controller.h2-path", dir.resolve("controller/journal").toString());
    overrides.put("sluice.api.port", "0");
    overrides.put("sluice.replication.port", "0");
    overrides.put("sluice.management.port", "0");
    overrides.put("sluice.cluster.port", "0");
    overrides.put("sluice.storage.flush", "os");
    overrides.putAll(extra);
    return SluiceConfigLoader.load(null, overrides);
  }

  /** Node 1 with TLS on every listener and tokens on the API and management. */
  public static Config secureSingleNode(
      Path dir, TestSecurity security, Map<String, String> extra) {
    Map<String, String> overrides = new HashMap<>(security.nodeSettings(1));
    overrides.putAll(extra);
    return singleNode(dir, overrides);
  }
}
