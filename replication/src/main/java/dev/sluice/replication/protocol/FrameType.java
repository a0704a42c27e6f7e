package dev.sluice.replication.protocol;

/** Wire codes of the frame types (the {@code type} byte of {@link FrameCodec}). */
public enum FrameType {
  HELLO(1),
  PROGRESS(2),
  BATCHES(3),
  CHUNK(4),
  LEADER_STATUS(5),
  DIVERGED(6),
  REJECTED(7);

  private static final CodeTable<FrameType> BY_CODE = new CodeTable<>(values(), FrameType::code);

  private final byte code;

  FrameType(int code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /** The type with this code, or null for a code no peer ever sends. */
  public static FrameType ofCode(byte code) {
    return BY_CODE.get(code);
  }
}
