package dev.sluice.node.management;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * {@code GET /metrics} on the management port: the node's Micrometer registry ({@link NodeMetrics})
 * in the Prometheus text format 0.0.4. Configured as {@code
 * pekko.management.http.routes.sluice-metrics}; pekko-management creates it, and protects it like
 * every management route (TLS, the admin token). Read-only; a scrape reads the current values
 * without blocking.
 */
public final class MetricsRouteProvider extends AllDirectives implements ManagementRouteProvider {
  private static final ContentType PROMETHEUS_TEXT = ContentTypes.parse(NodeMetrics.CONTENT_TYPE);

  private final NodeState state;

  public MetricsRouteProvider(ExtendedActorSystem system) {
    this.state = NodeState.get(system);
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return path("metrics", () -> get(() -> complete(scrape())));
  }

  private HttpResponse scrape() {
    return state
        .metrics()
        .map(
            metrics ->
                HttpResponse.create()
                    .withEntity(PROMETHEUS_TEXT, metrics.scrape().getBytes(StandardCharsets.UTF_8)))
        .orElseGet(
            () ->
                HttpResponse.create()
                    .withStatus(StatusCodes.SERVICE_UNAVAILABLE)
                    .withEntity("the node has not published its metrics yet"));
  }
}
