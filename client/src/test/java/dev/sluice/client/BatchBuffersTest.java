package dev.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class BatchBuffersTest {

  @Test
  void aBufferGivenBackIsTakenAgainClearedAndOneOverTheBatchSizeIsNeverPooled() {
    BatchBuffers buffers = new BatchBuffers(1024, 2);
    ByteBuffer first = buffers.take(1000);
    assertEquals(1024, first.capacity(), "a batch that fits gets a whole pooled buffer");
    first.position(700).limit(900);
    buffers.giveBack(first);

    ByteBuffer again = buffers.take(1024);
    assertSame(first, again);
    assertEquals(0, again.position());
    assertEquals(1024, again.limit());
    assertEquals(1, buffers.allocated());
    assertEquals(1, buffers.reused());

    ByteBuffer large = buffers.take(1025);
    assertEquals(1025, large.capacity(), "a batch one byte over gets a buffer of its own");
    buffers.giveBack(large);
    assertEquals(0, buffers.idle(), "and it is not kept");
    assertEquals(1024, buffers.take(1000).capacity());
    assertEquals(2, buffers.allocated(), "so the next batch gets a new pooled buffer");
  }

  @Test
  void atMostMaxIdleBuffersAreKeptAndClearDropsThem() {
    BatchBuffers buffers = new BatchBuffers(64, 2);
    ByteBuffer a = buffers.take(64);
    ByteBuffer b = buffers.take(64);
    ByteBuffer c = buffers.take(64);
    buffers.giveBack(a);
    buffers.giveBack(b);
    buffers.giveBack(c);
    assertEquals(2, buffers.idle());
    assertEquals(3, buffers.allocated());

    buffers.giveBack(ByteBuffer.allocateDirect(64));
    buffers.giveBack(ByteBuffer.allocate(63));
    assertEquals(2, buffers.idle(), "a buffer the pool did not make is not kept");

    buffers.clear();
    assertEquals(0, buffers.idle());
    buffers.take(10);
    assertEquals(4, buffers.allocated());
  }

  @Test
  void aPoolWithoutBytesIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new BatchBuffers(0, 1));
    assertThrows(IllegalArgumentException.class, () -> new BatchBuffers(1, -1));
  }
}
