package dev.sluice.format;

import java.nio.ByteBuffer;

/**
 * A push parser that checks the records of one batch as their bytes arrive, in any chunking,
 * without holding any of them: every field is a varint decoded a byte at a time or a run of bytes
 * skipped by count, so memory is constant whatever the record sizes.
 *
 * <p>Per record it checks: the length is at least {@link BatchLayout#MIN_RECORD_BODY_BYTES} and
 * fits the batch; {@code offsetDelta == index}; key, value and header lengths are at least -1 (0
 * for a header key) and fit the record; the header count is not negative; the fields end exactly at
 * the record's length. After the last record no byte may follow, the number of records must be the
 * header's count, and the header's {@code maxTimestamp} must equal the largest record timestamp.
 * Errors are {@link CorruptRecordException}s with the record index and the position of the
 * offending field. Not thread-safe.
 */
final class RecordsChecker {
  private enum State {
    LENGTH,
    ATTRIBUTES,
    TIMESTAMP_DELTA,
    OFFSET_DELTA,
    KEY_LENGTH,
    KEY,
    VALUE_LENGTH,
    VALUE,
    HEADER_COUNT,
    HEADER_KEY_LENGTH,
    HEADER_KEY,
    HEADER_VALUE_LENGTH,
    HEADER_VALUE,
    DONE
  }

  private final BatchHeader header;
  private final String source;
  private final long batchPosition;
  private final String where;
  private final long recordsEnd;
  private final Varints.Decoder decoder = new Varints.Decoder();

  private State state;
  private long pos;
  private long fieldStart;
  private long recordEnd;
  private long skipRemaining;
  private int index;
  private int headersLeft;
  private int headerIndex;
  private long maxTimestampSeen = BatchLayout.NO_TIMESTAMP;

  /**
   * @param firstByte the position of the first record byte, in the coordinates errors report
   * @param recordsEnd the position after the last record byte, or {@link Long#MAX_VALUE} when
   *     unknown (a decompressed stream)
   * @param where "the batch" or "the decompressed gzip records", for messages
   */
  RecordsChecker(
      BatchHeader header,
      String source,
      long batchPosition,
      long firstByte,
      long recordsEnd,
      String where) {
    this.header = header;
    this.source = source;
    this.batchPosition = batchPosition;
    this.pos = firstByte;
    this.recordsEnd = recordsEnd;
    this.where = where;
    if (header.recordsCount() == 0) {
      state = State.DONE;
    } else {
      enter(State.LENGTH);
    }
  }

  /** Checks the chunk's remaining bytes; moves its position to its limit. */
  void feed(ByteBuffer chunk) {
    while (chunk.hasRemaining()) {
      switch (state) {
        case KEY, VALUE, HEADER_KEY, HEADER_VALUE -> skip(chunk);
        case ATTRIBUTES -> {
          chunk.get();
          pos++;
          enter(State.TIMESTAMP_DELTA);
        }
        case DONE ->
            throw new CorruptRecordException(
                source
                    + " position "
                    + batchPosition
                    + ": bytes follow the last of the "
                    + header.recordsCount()
                    + " records at byte "
                    + pos
                    + " of "
                    + where,
                CorruptRecordException.HEADER,
                pos);
        default -> varintByte(chunk.get());
      }
    }
  }

  private void skip(ByteBuffer chunk) {
    int n = (int) Math.min(skipRemaining, chunk.remaining());
    chunk.position(chunk.position() + n);
    pos += n;
    skipRemaining -= n;
    if (skipRemaining == 0) {
      switch (state) {
        case KEY -> enter(State.VALUE_LENGTH);
        case VALUE -> enter(State.HEADER_COUNT);
        case HEADER_KEY -> enter(State.HEADER_VALUE_LENGTH);
        default -> nextHeader();
      }
    }
  }

  private void varintByte(byte b) {
    pos++;
    boolean complete;
    try {
      complete = decoder.feed(b);
    } catch (IllegalArgumentException e) {
      throw corrupt(fieldStart, fieldName() + ": " + e.getMessage());
    }
    if (state != State.LENGTH && pos > recordEnd) {
      throw corrupt(
          fieldStart,
          fieldName() + " runs past the record's end at byte " + recordEnd + " of " + where);
    }
    if (complete) {
      onValue(decoder.value());
    }
  }

  private void onValue(long value) {
    switch (state) {
      case LENGTH -> {
        if (value < BatchLayout.MIN_RECORD_BODY_BYTES) {
          throw corrupt(
              fieldStart,
              "record length "
                  + value
                  + " is below the minimum "
                  + BatchLayout.MIN_RECORD_BODY_BYTES);
        }
        if (value > recordsEnd - pos) {
          throw corrupt(
              fieldStart,
              "record length "
                  + value
                  + " exceeds the "
                  + (recordsEnd - pos)
                  + " bytes left in "
                  + where);
        }
        recordEnd = pos + value;
        enter(State.ATTRIBUTES);
      }
      case TIMESTAMP_DELTA -> {
        maxTimestampSeen = Math.max(maxTimestampSeen, header.baseTimestamp() + value);
        enter(State.OFFSET_DELTA);
      }
      case OFFSET_DELTA -> {
        if (value != index) {
          throw corrupt(fieldStart, "offset delta " + value + " where " + index + " was expected");
        }
        enter(State.KEY_LENGTH);
      }
      case KEY_LENGTH -> bytesOrNext(value, -1, "key length", State.KEY, State.VALUE_LENGTH);
      case VALUE_LENGTH -> bytesOrNext(value, -1, "value length", State.VALUE, State.HEADER_COUNT);
      case HEADER_COUNT -> {
        if (value < 0) {
          throw corrupt(fieldStart, "header count " + value + " is negative");
        }
        // Each header takes at least two bytes (two one-byte lengths).
        if (value > (recordEnd - pos) / 2) {
          throw corrupt(
              fieldStart,
              "header count "
                  + value
                  + " cannot fit the "
                  + (recordEnd - pos)
                  + " bytes left in the record (2 bytes per header at least)");
        }
        headersLeft = (int) value;
        headerIndex = 0;
        if (headersLeft == 0) {
          endRecord();
        } else {
          enter(State.HEADER_KEY_LENGTH);
        }
      }
      case HEADER_KEY_LENGTH ->
          bytesOrNext(
              value,
              0,
              "header " + headerIndex + "'s key length",
              State.HEADER_KEY,
              State.HEADER_VALUE_LENGTH);
      case HEADER_VALUE_LENGTH -> {
        if (bytesOrNext(
            value, -1, "header " + headerIndex + "'s value length", State.HEADER_VALUE, null)) {
          nextHeader();
        }
      }
      default -> throw new IllegalStateException("no varint in state " + state);
    }
  }

  /**
   * Checks a length; enters the skip state for a positive one, or {@code next} for -1 or 0 (for a
   * null {@code next}, returns true and lets the caller move on).
   */
  private boolean bytesOrNext(long length, long min, String what, State skipState, State next) {
    if (length < min) {
      throw corrupt(
          fieldStart,
          what + " " + length + " is below " + (min == -1 ? "-1 (null)" : "the minimum " + min));
    }
    if (length > recordEnd - pos) {
      throw corrupt(
          fieldStart,
          what
              + " "
              + length
              + " exceeds the "
              + (recordEnd - pos)
              + " bytes left in the record, which ends at byte "
              + recordEnd
              + " of "
              + where);
    }
    if (length > 0) {
      state = skipState;
      skipRemaining = length;
      return false;
    }
    if (next == null) {
      return true;
    }
    enter(next);
    return false;
  }

  private void nextHeader() {
    headersLeft--;
    headerIndex++;
    if (headersLeft == 0) {
      endRecord();
    } else {
      enter(State.HEADER_KEY_LENGTH);
    }
  }

  private void endRecord() {
    if (pos != recordEnd) {
      throw corrupt(
          pos,
          "the record's fields end at byte "
              + pos
              + " but its length says byte "
              + recordEnd
              + " of "
              + where);
    }
    index++;
    if (index == header.recordsCount()) {
      state = State.DONE;
    } else {
      enter(State.LENGTH);
    }
  }

  /** Checks that every record is complete and the header's max timestamp is the records'. */
  void finish() {
    if (state != State.DONE) {
      throw corrupt(
          pos,
          "the bytes of "
              + where
              + " end inside record "
              + index
              + " ("
              + index
              + " of "
              + header.recordsCount()
              + " records complete, "
              + fieldName()
              + " unfinished)");
    }
    if (header.recordsCount() > 0 && header.maxTimestamp() != maxTimestampSeen) {
      throw CorruptRecordException.inHeader(
          source,
          batchPosition,
          "maxTimestamp",
          BatchLayout.MAX_TIMESTAMP_OFFSET,
          "max timestamp "
              + header.maxTimestamp()
              + " does not equal the largest record timestamp "
              + maxTimestampSeen);
    }
  }

  private void enter(State s) {
    state = s;
    fieldStart = pos;
    decoder.reset(s == State.TIMESTAMP_DELTA);
  }

  private String fieldName() {
    return switch (state) {
      case LENGTH -> "record length";
      case ATTRIBUTES -> "attributes";
      case TIMESTAMP_DELTA -> "timestamp delta";
      case OFFSET_DELTA -> "offset delta";
      case KEY_LENGTH -> "key length";
      case KEY -> "key";
      case VALUE_LENGTH -> "value length";
      case VALUE -> "value";
      case HEADER_COUNT -> "header count";
      case HEADER_KEY_LENGTH -> "header " + headerIndex + "'s key length";
      case HEADER_KEY -> "header " + headerIndex + "'s key";
      case HEADER_VALUE_LENGTH -> "header " + headerIndex + "'s value length";
      case HEADER_VALUE -> "header " + headerIndex + "'s value";
      case DONE -> "nothing";
    };
  }

  private CorruptRecordException corrupt(long at, String detail) {
    return CorruptRecordException.inRecord(source, batchPosition, index, at, where, detail);
  }
}
