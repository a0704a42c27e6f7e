package dev.sluice.replication.follower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FollowerStatusCatchUpInstantsTest {

  @Test
  void theFirstFrameMarksTheHandshakeAndBytesMoveOnlyTheLastByteInstant() {
    AtomicLong clock = new AtomicLong(1_000);
    FollowerStatus status = new FollowerStatus(clock::get);
    assertEquals(
        new FollowerStatus.CatchUpInstants(-1, -1, -1), status.catchUpInstants(), "nothing yet");

    status.frameArrived();
    clock.set(1_010);
    status.frameArrived();
    status.recordBytesArrived();
    clock.set(3_000);
    status.recordBytesArrived();

    assertEquals(new FollowerStatus.CatchUpInstants(1_000, 1_010, 3_000), status.catchUpInstants());
  }

  @Test
  void bytesWithoutAnEarlierFrameAlsoMarkTheHandshake() {
    FollowerStatus status = new FollowerStatus(() -> 42);
    status.recordBytesArrived();
    assertEquals(new FollowerStatus.CatchUpInstants(42, 42, 42), status.catchUpInstants());
  }
}
