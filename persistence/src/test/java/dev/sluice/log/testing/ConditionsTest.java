package dev.sluice.log.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConditionsTest {
  @Test
  void returnsAtOnceWhenTheConditionAlreadyHolds() {
    AtomicInteger polls = new AtomicInteger();
    Conditions.await(() -> polls.incrementAndGet() > 0, Duration.ofSeconds(10), "first poll");
    assertEquals(1, polls.get());
  }

  @Test
  void waitsUntilAnotherThreadMakesTheConditionTrue() throws InterruptedException {
    AtomicBoolean done = new AtomicBoolean();
    CountDownLatch polledOnce = new CountDownLatch(1);
    Thread setter =
        new Thread(
            () -> {
              try {
                polledOnce.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              done.set(true);
            });
    setter.start();
    Conditions.await(
        () -> {
          polledOnce.countDown();
          return done.get();
        },
        Duration.ofSeconds(30),
        "the flag");
    setter.join();
  }

  @Test
  void failsNamingWhatItWaitedForAndForHowLong() {
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () ->
                Conditions.await(
                    () -> false, Duration.ofMillis(50), "a condition that never holds"));
    assertEquals(
        "timed out after PT0.05S waiting for a condition that never holds", e.getMessage());
  }
}
