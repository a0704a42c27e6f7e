package dev.sluice.replication.leader;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ChangeSignalTest {
  @Test
  void completesAtOnceWhenTheConditionAlreadyHolds() {
    ChangeSignal s = new ChangeSignal();
    assertTrue(s.await(() -> true).toCompletableFuture().isDone());
  }

  @Test
  void completesOnlyAfterASignalThatFindsTheConditionTrue() {
    ChangeSignal s = new ChangeSignal();
    AtomicLong logEnd = new AtomicLong(5);
    CompletableFuture<?> f = s.await(() -> logEnd.get() > 5).toCompletableFuture();
    s.signal(); // a change that does not satisfy the waiter
    assertFalse(f.isDone());
    logEnd.set(6);
    s.signal();
    assertTrue(f.isDone());
  }
}
