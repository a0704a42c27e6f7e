package dev.sluice.format;

import java.util.Arrays;
import java.util.List;

/**
 * One record held in memory: key and value may be null (length -1 on the wire), headers are never
 * null (an empty list for none), and the timestamp is the CreateTime in epoch milliseconds.
 * Equality compares key and value bytes. Immutable if the caller does not change the arrays after
 * handing them over.
 */
public record Record(byte[] key, byte[] value, List<Header> headers, long timestamp) {
  public Record {
    headers = headers == null ? List.of() : List.copyOf(headers);
  }

  public static Record of(byte[] key, byte[] value, long timestamp) {
    return new Record(key, value, List.of(), timestamp);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Record r
        && timestamp == r.timestamp
        && Arrays.equals(key, r.key)
        && Arrays.equals(value, r.value)
        && headers.equals(r.headers);
  }

  @Override
  public int hashCode() {
    int h = Long.hashCode(timestamp);
    h = 31 * h + Arrays.hashCode(key);
    h = 31 * h + Arrays.hashCode(value);
    return 31 * h + headers.hashCode();
  }

  @Override
  public String toString() {
    return "Record[key="
        + (key == null ? "null" : key.length + " bytes")
        + ", value="
        + (value == null ? "null" : value.length + " bytes")
        + ", headers="
        + headers
        + ", timestamp="
        + timestamp
        + "]";
  }
}
