package dev.sluice.client;

import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request body of a buffer's remaining bytes, handed to the HTTP client as they are. The JDK's
 * {@code BodyPublishers.ofByteArray} copies a body into new 16 KiB buffers before it writes them;
 * for a producer sending 256 KiB batches that copy (and zeroing the new buffers) was the largest
 * part of the client's CPU. The buffer's bytes must not change while a request may still send them;
 * a produced batch's do not (they are encoded once and only read).
 *
 * <p>Every subscription (the client subscribes again to resend a body, e.g. after a redirect) gets
 * its own view from the buffer's position at construction; the buffer itself is not moved.
 */
final class BufferBody {
  private BufferBody() {}

  /** A publisher of {@code body}'s remaining bytes, as a fixed-length request body. */
  static BodyPublisher of(ByteBuffer body) {
    ByteBuffer bytes = body.duplicate();
    if (!bytes.hasRemaining()) {
      return BodyPublishers.noBody();
    }
    return BodyPublishers.fromPublisher(new OneBuffer(bytes), bytes.remaining());
  }

  /** Publishes one read-only view of the bytes, then completes. */
  static final class OneBuffer implements Flow.Publisher<ByteBuffer> {
    private final ByteBuffer bytes;

    OneBuffer(ByteBuffer bytes) {
      this.bytes = bytes;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      ByteBuffer view = bytes.asReadOnlyBuffer();
      AtomicBoolean done = new AtomicBoolean();
      subscriber.onSubscribe(
          new Flow.Subscription() {
            @Override
            public void request(long n) {
              if (!done.compareAndSet(false, true)) {
                return; // already sent (a request from inside onNext), or cancelled
              }
              if (n <= 0) {
                subscriber.onError(
                    new IllegalArgumentException("a subscriber requested " + n + " buffers"));
                return;
              }
              subscriber.onNext(view);
              subscriber.onComplete();
            }

            @Override
            public void cancel() {
              done.set(true);
            }
          });
    }
  }
}
