package dev.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest.BodyPublisher;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

/**
 * A batch body goes to the HTTP client as the batch's own bytes: exactly the buffer's remaining
 * bytes, once per subscription (a resend subscribes again), without moving the buffer.
 */
class BufferBodyTest {

  /** Records what a publisher signals; requests {@code demand} at subscription. */
  private static class Recorder implements Flow.Subscriber<ByteBuffer> {
    final long demand;
    final List<ByteBuffer> items = new ArrayList<>();
    Throwable error;
    int completions;
    Flow.Subscription subscription;

    Recorder(long demand) {
      this.demand = demand;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(demand);
    }

    @Override
    public void onNext(ByteBuffer item) {
      items.add(item);
      subscription.request(1); // a subscriber asking for more from inside onNext
    }

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onComplete() {
      completions++;
    }

    String text() {
      StringBuilder out = new StringBuilder();
      for (ByteBuffer b : items) {
        out.append(StandardCharsets.UTF_8.decode(b.duplicate()));
      }
      return out.toString();
    }
  }

  @Test
  void everySubscriptionGetsTheRemainingBytesOnceAndTheBufferDoesNotMove() {
    ByteBuffer batch = ByteBuffer.wrap("xxbatch bytes".getBytes(StandardCharsets.UTF_8));
    batch.position(2);
    BodyPublisher body = BufferBody.of(batch);
    assertEquals(11, body.contentLength());
    for (int resend = 0; resend < 2; resend++) {
      Recorder r = new Recorder(Long.MAX_VALUE);
      body.subscribe(r);
      assertEquals("batch bytes", r.text());
      assertEquals(1, r.items.size());
      assertEquals(1, r.completions);
      assertEquals(null, r.error);
    }
    assertEquals(2, batch.position());
    // The client's view is its own: consuming it leaves the next subscription whole.
    Recorder consumer = new Recorder(1);
    body.subscribe(consumer);
    consumer.items.get(0).position(consumer.items.get(0).limit());
    Recorder again = new Recorder(1);
    body.subscribe(again);
    assertEquals("batch bytes", again.text());
  }

  @Test
  void aNonPositiveRequestIsAnErrorAndACancelledSubscriptionSendsNothing() {
    BufferBody.OneBuffer publisher =
        new BufferBody.OneBuffer(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    Recorder zero = new Recorder(0);
    publisher.subscribe(zero);
    assertInstanceOf(IllegalArgumentException.class, zero.error);
    assertTrue(zero.items.isEmpty());

    Recorder cancelled =
        new Recorder(0) {
          @Override
          public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.cancel();
            s.request(1);
          }
        };
    publisher.subscribe(cancelled);
    assertTrue(cancelled.items.isEmpty());
    assertEquals(0, cancelled.completions);
  }

  @Test
  void anEmptyBufferIsNoBody() {
    assertEquals(0, BufferBody.of(ByteBuffer.allocate(0)).contentLength());
  }
}
