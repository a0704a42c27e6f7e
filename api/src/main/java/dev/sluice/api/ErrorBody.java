package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The body of every error answer of the client API: one JSON object, {@code {"error": message,
 * ...details}}, whose message names what was wrong and the limit it broke, and whose details are
 * flat fields beside it that a client can act on (the readable range of a 416, the limit of a 413,
 * the offset of a record written but not acknowledged). The HTTP status says who must act.
 *
 * <p>Details keep the order they were given in; a parsed body keeps the order of its fields.
 * Numbers read back as the smallest Java type that holds them ({@link Integer} or {@link Long}):
 * read them with {@link #longDetail}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param error the message; never null
 * @param details extra fields, never one named {@value #ERROR}
 */
public record ErrorBody(String error, Map<String, Object> details) {
  /** The message's field. */
  public static final String ERROR = "error";

  /** A replica's high watermark (416, and 503 while a new leader confirms it). */
  public static final String HIGH_WATERMARK = "highWatermark";

  /** The first readable offset (416). */
  public static final String LOG_START_OFFSET = "logStartOffset";

  /** The offset of a record written but not acknowledged (503 after a write with acks=all). */
  public static final String OFFSET = "offset";

  /** {@code sluice.storage.max-batch-bytes} of the node that refused a value (413). */
  public static final String MAX_BATCH_BYTES = "maxBatchBytes";

  /** The largest value that fits a batch with the request's key (413). */
  public static final String MAX_VALUE_BYTES = "maxValueBytes";

  /** The name of the token a node refused (403): the entry of its tokens file, never the token. */
  public static final String TOKEN = "token";

  /**
   * The permission a refused request needed (403), in {@link Permission}'s text form ({@code
   * produce:payments}); alternatives, any one of which would do, are joined with {@code |} ({@code
   * admin|produce:orders|consume:orders}).
   */
  public static final String REQUIRED_PERMISSION = "requiredPermission";

  /**
   * A machine-readable name of the error where a client must tell errors of one status apart: the
   * {@code ProducerError} names of a 409 to an idempotent batch ({@code OUT_OF_ORDER_SEQUENCE},
   * {@code UNKNOWN_PRODUCER_ID}, {@code PRODUCER_FENCED}).
   */
  public static final String CODE = "code";

  /** The producer id of a refused idempotent batch (409). */
  public static final String PRODUCER_ID = "producerId";

  /** The base sequence the partition expects next from the producer (409). */
  public static final String EXPECTED_SEQUENCE = "expectedSequence";

  public ErrorBody {
    Objects.requireNonNull(error, "error");
    Map<String, Object> copy = new LinkedHashMap<>(details == null ? Map.of() : details);
    if (copy.containsKey(ERROR)) {
      throw new IllegalArgumentException(
          "error body details must not contain \"" + ERROR + "\": " + copy.keySet());
    }
    details = Collections.unmodifiableMap(copy);
  }

  /** An error without details. Not a JSON creator: a bare JSON string is not an error body. */
  @JsonCreator(mode = JsonCreator.Mode.DISABLED)
  public ErrorBody(String error) {
    this(error, Map.of());
  }

  /** A detail that is an integral number, e.g. {@code longDetail(HIGH_WATERMARK)}. */
  public OptionalLong longDetail(String key) {
    Object value = details.get(key);
    if (value instanceof Long || value instanceof Integer || value instanceof Short) {
      return OptionalLong.of(((Number) value).longValue());
    }
    return OptionalLong.empty();
  }

  /** The wire form: the message first, the details as sibling fields. */
  @JsonValue
  Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put(ERROR, error);
    json.putAll(details);
    return json;
  }

  /**
   * Reads the wire form.
   *
   * @throws IllegalArgumentException when there is no non-null {@value #ERROR} field (the body did
   *     not come from a Sluice node: a proxy's page, say)
   */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static ErrorBody fromJson(Map<String, Object> json) {
    Object error = json.get(ERROR);
    if (error == null) {
      throw new IllegalArgumentException(
          "not a Sluice error body: no \"" + ERROR + "\" field among " + json.keySet());
    }
    Map<String, Object> details = new LinkedHashMap<>(json);
    details.remove(ERROR);
    return new ErrorBody(String.valueOf(error), details);
  }
}
