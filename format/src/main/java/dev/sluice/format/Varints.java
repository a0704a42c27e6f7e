package dev.sluice.format;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * Zig-zag variable-length integers, as in Kafka's records (and protobuf's {@code sint32}/{@code
 * sint64}): the value is zig-zag mapped ({@code (n << 1) ^ (n >> 31)}) so that small negative
 * numbers stay short, then written 7 bits per byte, least significant group first, with the high
 * bit set on every byte but the last. A varint takes at most {@value #MAX_VARINT_BYTES} bytes, a
 * varlong at most {@value #MAX_VARLONG_BYTES}; a varint takes one byte for [-64, 63] and two for
 * [-8192, 8191].
 *
 * <p>Reads throw {@link IllegalArgumentException} for an encoding longer than the maximum and
 * {@link BufferUnderflowException} (or {@link EOFException}) when the input ends inside a value;
 * callers that know the position turn these into a {@link CorruptRecordException}. {@link Decoder}
 * decodes a value that arrives split across chunks. Static methods are stateless and thread-safe; a
 * {@link Decoder} is not thread-safe.
 */
public final class Varints {
  public static final int MAX_VARINT_BYTES = 5;
  public static final int MAX_VARLONG_BYTES = 10;

  private Varints() {}

  public static int sizeOfVarint(int value) {
    return sizeOfUnsigned(Integer.toUnsignedLong((value << 1) ^ (value >> 31)));
  }

  public static int sizeOfVarlong(long value) {
    return sizeOfUnsigned((value << 1) ^ (value >> 63));
  }

  private static int sizeOfUnsigned(long v) {
    // One byte per started group of 7 significant bits; zero still takes one byte.
    int bits = 64 - Long.numberOfLeadingZeros(v | 1);
    return (bits + 6) / 7;
  }

  public static void writeVarint(int value, ByteBuffer out) {
    writeUnsigned(Integer.toUnsignedLong((value << 1) ^ (value >> 31)), out);
  }

  public static void writeVarlong(long value, ByteBuffer out) {
    writeUnsigned((value << 1) ^ (value >> 63), out);
  }

  private static void writeUnsigned(long v, ByteBuffer out) {
    while ((v & ~0x7FL) != 0) {
      out.put((byte) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }

  public static void writeVarint(int value, OutputStream out) throws IOException {
    long v = Integer.toUnsignedLong((value << 1) ^ (value >> 31));
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  /** Reads a varint at the buffer's position and moves the position past it. */
  public static int readVarint(ByteBuffer in) {
    return (int) unzigzag(readUnsigned(in, MAX_VARINT_BYTES));
  }

  /** Reads a varlong at the buffer's position and moves the position past it. */
  public static long readVarlong(ByteBuffer in) {
    return unzigzag(readUnsigned(in, MAX_VARLONG_BYTES));
  }

  private static long readUnsigned(ByteBuffer in, int maxBytes) {
    long v = 0;
    for (int i = 0; i < maxBytes; i++) {
      byte b = in.get();
      v |= (long) (b & 0x7F) << (7 * i);
      if (b >= 0) {
        return v;
      }
    }
    throw tooLong(maxBytes);
  }

  /** Reads a varint from a stream; {@link EOFException} if the stream ends inside it. */
  public static int readVarint(InputStream in) throws IOException {
    return (int) unzigzag(readUnsigned(in, MAX_VARINT_BYTES));
  }

  /** Reads a varlong from a stream; {@link EOFException} if the stream ends inside it. */
  public static long readVarlong(InputStream in) throws IOException {
    return unzigzag(readUnsigned(in, MAX_VARLONG_BYTES));
  }

  private static long readUnsigned(InputStream in, int maxBytes) throws IOException {
    long v = 0;
    for (int i = 0; i < maxBytes; i++) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the input ends inside a varint after " + i + " bytes");
      }
      v |= (long) (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw tooLong(maxBytes);
  }

  private static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  private static IllegalArgumentException tooLong(int maxBytes) {
    return new IllegalArgumentException(
        (maxBytes == MAX_VARINT_BYTES ? "varint" : "varlong")
            + " is longer than the maximum "
            + maxBytes
            + " bytes");
  }

  /**
   * Decodes one varint or varlong fed a byte at a time, for input that arrives in chunks: {@link
   * #feed} returns true on the value's last byte, after which {@link #value()} holds it. {@link
   * #reset} prepares the next value. Not thread-safe.
   */
  public static final class Decoder {
    private int maxBytes = MAX_VARINT_BYTES;
    private int count;
    private long unsigned;
    private long value;

    /** Starts a varint ({@code long == false}) or a varlong. */
    public void reset(boolean isLong) {
      maxBytes = isLong ? MAX_VARLONG_BYTES : MAX_VARINT_BYTES;
      count = 0;
      unsigned = 0;
    }

    /** Bytes fed into the current value so far. */
    public int bytesRead() {
      return count;
    }

    /**
     * Feeds the next byte; true when it completed the value. Throws {@link
     * IllegalArgumentException} when the value runs past its maximum length.
     */
    public boolean feed(byte b) {
      unsigned |= (long) (b & 0x7F) << (7 * count);
      count++;
      if (b >= 0) {
        value = unzigzag(unsigned);
        return true;
      }
      if (count == maxBytes) {
        throw tooLong(maxBytes);
      }
      return false;
    }

    public long value() {
      return value;
    }
  }
}
