package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.*;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.ReplicationSettings;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class TransferSettingsTest {
  @Test
  void derivedFromReplicationSettings() {
    BackoffSettings backoff =
        new BackoffSettings(Duration.ofMillis(100), Duration.ofSeconds(10), 0.2);
    ReplicationSettings r =
        new ReplicationSettings(7100, 1 << 20, 4 << 20, backoff, Duration.ofSeconds(30), 2, false);
    TransferSettings t = TransferSettings.from(r, Duration.ofSeconds(1));
    assertEquals(1 << 20, t.peerMaxBytes());
    assertEquals(Duration.ofSeconds(4), t.idleTimeout());
    assertEquals(backoff, t.backoff());
    assertEquals(2, t.socketOptions().size());
    assertEquals(4L << 20, t.readWindowBytes());
    assertEquals(TransferSecurity.plaintext(), t.security(), "plaintext unless a node asks");
    assertEquals(Duration.ofSeconds(10), t.handshakeTimeout());
  }

  @Test
  void withSecurityChangesOnlyTheTransport() {
    BackoffSettings b = new BackoffSettings(Duration.ofMillis(1), Duration.ofMillis(2), 0);
    TransferSettings plain =
        new TransferSettings(
            1 << 20, Duration.ofSeconds(1), Duration.ofSeconds(4), Duration.ofSeconds(1), b, 0);
    TransferSecurity tls =
        TransferSecurity.tls(
            () -> {
              throw new AssertionError("no connection is made");
            },
            (host, port) -> {
              throw new AssertionError("no connection is made");
            },
            session -> OptionalInt.empty());
    TransferSettings secure = plain.withSecurity(tls);
    assertEquals(tls, secure.security());
    assertTrue(secure.security().authenticates());
    assertFalse(plain.security().authenticates());
    assertEquals(plain, secure.withSecurity(TransferSecurity.plaintext()));
  }

  @Test
  void limitedFramesDivideThePeerLimitDownToAFloor() {
    BackoffSettings b = new BackoffSettings(Duration.ofMillis(1), Duration.ofMillis(2), 0);
    TransferSettings t =
        new TransferSettings(
            1 << 20, Duration.ofSeconds(1), Duration.ofSeconds(4), Duration.ofSeconds(1), b, 0);
    assertEquals(1 << 20, t.limitedFrameBytes(1));
    assertEquals(512 << 10, t.limitedFrameBytes(2));
    assertEquals(256 << 10, t.limitedFrameBytes(4));
    assertEquals(TransferSettings.MIN_LIMITED_FRAME_BYTES, t.limitedFrameBytes(1000));
    assertThrows(IllegalArgumentException.class, () -> t.limitedFrameBytes(0));

    TransferSettings tiny =
        new TransferSettings(
            4096, Duration.ofSeconds(1), Duration.ofSeconds(4), Duration.ofSeconds(1), b, 0);
    assertEquals(4096, tiny.limitedFrameBytes(4), "never above peer-max-bytes");
  }
}
