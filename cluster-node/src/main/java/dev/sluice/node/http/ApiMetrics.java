package dev.sluice.node.http;

import dev.sluice.api.Acks;
import dev.sluice.api.Paths;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * What the client API measures, into the node's meter registry:
 *
 * <ul>
 *   <li>{@value #REQUESTS}: every request by method, route template and status (rejections
 *       included: the routes are sealed inside the measurement);
 *   <li>{@value #PRODUCE_LATENCY}: successful produce requests by {@code acks}, from the request's
 *       arrival to the answer (an {@code acks=all} answer waits for the in-sync replicas), as a
 *       histogram;
 *   <li>{@value #FETCH_LATENCY}: successful record reads ({@code request=record} one value, {@code
 *       request=batches} whole batches) until the answer starts, as a histogram;
 *   <li>{@value #BYTES_IN} and {@value #BYTES_OUT} by topic: record bytes a produce staged, and the
 *       body bytes of successful record reads (chunked NDJSON and follow answers counted as they
 *       are sent);
 *   <li>{@value #DUPLICATES} by topic: idempotent batches found already written (a producer's
 *       retry), answered with their original offsets. Batches refused for a broken sequence rule
 *       are the produce route's 409s in {@value #REQUESTS}.
 * </ul>
 *
 * <p>Route labels are templates ({@code /topics/{topic}/partitions/{partition}/records}), never raw
 * paths, and topic labels are only set once a request succeeded (the topic exists), so a client
 * cannot grow the number of series.
 *
 * <p>Thread-safety: Micrometer's meters are thread-safe; this holds no other state.
 */
public final class ApiMetrics extends AllDirectives {
  static final String REQUESTS = "sluice.http.requests";
  static final String PRODUCE_LATENCY = "sluice.produce.latency";
  static final String FETCH_LATENCY = "sluice.fetch.latency";
  static final String BYTES_IN = "sluice.bytes.in";
  static final String BYTES_OUT = "sluice.bytes.out";
  static final String DUPLICATES = "sluice.produce.duplicates";

  /** Produce and fetch take from a millisecond (acks=leader, page cache) to the API's timeout. */
  private static final Duration MIN_LATENCY = Duration.ofMillis(1);

  private static final Duration MAX_LATENCY = Duration.ofSeconds(60);

  static final String OTHER_ROUTE = "other";

  private static final String RECORDS_ROUTE =
      "/" + Paths.TOPICS + "/{topic}/" + Paths.PARTITIONS + "/{partition}/" + Paths.RECORDS;

  private final MeterRegistry registry;

  private ApiMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Measures into {@code registry}. */
  public static ApiMetrics of(MeterRegistry registry) {
    return new ApiMetrics(registry);
  }

  /** Measures nothing: a registry without a backend, whose meters are no-ops. */
  public static ApiMetrics discarding() {
    return new ApiMetrics(new CompositeMeterRegistry());
  }

  /**
   * {@code inner}, sealed (its rejections and exceptions become responses here, so that they are
   * counted with their status) and measured.
   */
  public Route instrument(Route inner) {
    Route sealed = inner.seal();
    return extractRequest(
        request -> {
          long start = System.nanoTime();
          return mapResponse(
              response -> record(request, response, System.nanoTime() - start), () -> sealed);
        });
  }

  /** A produce staged {@code bytes} of record value for {@code topic}. */
  void bytesIn(String topic, long bytes) {
    Counter.builder(BYTES_IN)
        .description("Record bytes received by produce requests.")
        .tag("topic", topic)
        .register(registry)
        .increment(bytes);
  }

  /** An idempotent producer's retry to {@code topic} was answered from the log, not written. */
  void duplicate(String topic) {
    Counter.builder(DUPLICATES)
        .description("Retried idempotent batches answered with their original offsets.")
        .tag("topic", topic)
        .register(registry)
        .increment();
  }

  /**
   * Records the request's meters and returns the response to send: itself, or for a chunked record
   * read (NDJSON, follow mode) the same response whose body counts its bytes as they are sent.
   */
  private HttpResponse record(HttpRequest request, HttpResponse response, long nanos) {
    List<String> segments = new ArrayList<>();
    request.getUri().pathSegments().forEach(segments::add);
    String route = routeTemplate(segments);
    String method = request.method().name();
    int status = response.status().intValue();
    Timer.builder(REQUESTS)
        .description("Client API requests by method, route and status.")
        .tag("method", method)
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
    if (status != 200 || !route.startsWith(RECORDS_ROUTE)) {
      return response;
    }
    if (method.equals("POST")) {
      latency(PRODUCE_LATENCY, "Successful produce requests, arrival to answer, by acks.")
          .tag("acks", acksLabel(request.getUri().query().get(Paths.ACKS)))
          .register(registry)
          .record(nanos, TimeUnit.NANOSECONDS);
    } else if (method.equals("GET")) {
      latency(FETCH_LATENCY, "Successful record reads, arrival to answer, by request kind.")
          .tag("request", route.equals(RECORDS_ROUTE) ? "batches" : "record")
          .register(registry)
          .record(nanos, TimeUnit.NANOSECONDS);
      Counter bytesOut =
          Counter.builder(BYTES_OUT)
              .description("Body bytes sent by successful record reads.")
              .tag("topic", segments.get(1))
              .register(registry);
      OptionalLong length = response.entity().getContentLengthOption();
      if (length.isPresent()) {
        bytesOut.increment(length.getAsLong());
      } else {
        // Chunked: the body is produced while it is sent (a follow answer may last minutes), so
        // it is counted piece by piece; a connection closed early counts what was sent.
        return response.transformEntityDataBytes(
            Flow.of(ByteString.class)
                .map(
                    piece -> {
                      bytesOut.increment(piece.size());
                      return piece;
                    }));
      }
    }
    return response;
  }

  private static Timer.Builder latency(String name, String description) {
    return Timer.builder(name)
        .description(description)
        .publishPercentileHistogram()
        .minimumExpectedValue(MIN_LATENCY)
        .maximumExpectedValue(MAX_LATENCY);
  }

  /** {@code all} or {@code leader}; the default when absent, {@code invalid} otherwise. */
  static String acksLabel(Optional<String> acks) {
    try {
      Acks parsed = acks.isEmpty() ? Acks.DEFAULT : Acks.parse(acks.get());
      return parsed.queryValue();
    } catch (IllegalArgumentException e) {
      return "invalid";
    }
  }

  /**
   * The route a request's decoded path segments belong to, with the variable parts named: the value
   * of the {@code route} label. Paths no route serves are {@value #OTHER_ROUTE}.
   */
  static String routeTemplate(List<String> segments) {
    int n = segments.size();
    if (n == 0) {
      return "/";
    }
    if (segments.get(0).equals(Paths.TOPICS)) {
      if (n == 1) {
        return "/" + Paths.TOPICS;
      }
      if (n == 2) {
        return "/" + Paths.TOPICS + "/{topic}";
      }
      if ((n == 5 || n == 6)
          && segments.get(2).equals(Paths.PARTITIONS)
          && segments.get(4).equals(Paths.RECORDS)) {
        return n == 5 ? RECORDS_ROUTE : RECORDS_ROUTE + "/{offset}";
      }
      return OTHER_ROUTE;
    }
    if (n == 2 && segments.get(0).equals(Paths.CLUSTER) && segments.get(1).equals(Paths.STATUS)) {
      return "/" + Paths.CLUSTER + "/" + Paths.STATUS;
    }
    if (n == 1 && segments.get(0).equals(Paths.PRODUCERS)) {
      return "/" + Paths.PRODUCERS;
    }
    if (n == 1 && segments.get(0).equals("openapi.yaml")) {
      return "/openapi.yaml";
    }
    return OTHER_ROUTE;
  }
}
