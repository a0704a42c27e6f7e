package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ErrorBodyTest {

  @Test
  void detailsCannotHideTheMessage() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ErrorBody("m", Map.of(ErrorBody.ERROR, "other")));
    assertEquals("error body details must not contain \"error\": [error]", e.getMessage());
    assertThrows(NullPointerException.class, () -> new ErrorBody(null));
  }

  @Test
  void detailsAreACopy() {
    Map<String, Object> details = new HashMap<>(Map.of(ErrorBody.OFFSET, 7L));
    ErrorBody body = new ErrorBody("m", details);
    details.put(ErrorBody.HIGH_WATERMARK, 9L);
    assertEquals(Map.of(ErrorBody.OFFSET, 7L), body.details());
    assertThrows(UnsupportedOperationException.class, () -> body.details().clear());
    assertEquals(Map.of(), new ErrorBody("m", null).details());
  }

  @Test
  void longDetailReadsIntegralNumbersOnly() throws Exception {
    ErrorBody body =
        ApiJson.mapper()
            .readValue(
                "{\"error\":\"m\",\"offset\":7,\"highWatermark\":9000000000,"
                    + "\"ratio\":0.5,\"note\":\"12\"}",
                ErrorBody.class);
    assertEquals(OptionalLong.of(7), body.longDetail(ErrorBody.OFFSET));
    assertEquals(OptionalLong.of(9_000_000_000L), body.longDetail(ErrorBody.HIGH_WATERMARK));
    assertEquals(OptionalLong.empty(), body.longDetail("ratio"));
    assertEquals(OptionalLong.empty(), body.longDetail("note"));
    assertEquals(OptionalLong.empty(), body.longDetail(ErrorBody.LOG_START_OFFSET));
  }

  @Test
  void detailKeysAreTodaysFieldNames() {
    assertEquals("error", ErrorBody.ERROR);
    assertEquals("highWatermark", ErrorBody.HIGH_WATERMARK);
    assertEquals("logStartOffset", ErrorBody.LOG_START_OFFSET);
    assertEquals("offset", ErrorBody.OFFSET);
    assertEquals("maxBatchBytes", ErrorBody.MAX_BATCH_BYTES);
    assertEquals("maxValueBytes", ErrorBody.MAX_VALUE_BYTES);
    assertEquals("token", ErrorBody.TOKEN);
    assertEquals("requiredPermission", ErrorBody.REQUIRED_PERMISSION);
  }

  /** A 401: the message only; the challenge travels in the WWW-Authenticate header. */
  @Test
  void unauthorizedBodyIsTheMessageOnly() throws Exception {
    String json = "{\"error\":\"the bearer token is unknown or revoked on node 2\"}";
    ErrorBody body = new ErrorBody("the bearer token is unknown or revoked on node 2");
    assertEquals(json, ApiJson.mapper().writeValueAsString(body));
    assertEquals(body, ApiJson.mapper().readValue(json, ErrorBody.class));
  }

  /** A 403: the message, then the token's name and the permission it lacked. */
  @Test
  void forbiddenBodyNamesTheTokenAndTheRequiredPermission() throws Exception {
    String json =
        "{\"error\":\"token 'orders-reader' lacks produce:payments (it has consume:orders-*)\","
            + "\"token\":\"orders-reader\",\"requiredPermission\":\"produce:payments\"}";
    Map<String, Object> details = new LinkedHashMap<>();
    details.put(ErrorBody.TOKEN, "orders-reader");
    details.put(ErrorBody.REQUIRED_PERMISSION, "produce:payments");
    ErrorBody body =
        new ErrorBody(
            "token 'orders-reader' lacks produce:payments (it has consume:orders-*)", details);
    assertEquals(json, ApiJson.mapper().writeValueAsString(body));
    ErrorBody read = ApiJson.mapper().readValue(json, ErrorBody.class);
    assertEquals(body, read);
    assertEquals("produce:payments", read.details().get(ErrorBody.REQUIRED_PERMISSION));
  }
}
