package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Asks a node's management endpoint (pekko-management) how far the cluster got. Every failure
 * (connection refused while a node is still starting, a timeout, an unexpected answer) counts as
 * "not yet", because the caller polls until its own deadline.
 *
 * <p>A secure cluster's management is HTTPS with HTTP Basic authentication: the probe trusts the
 * cluster CA and sends the admin token as the password ({@link LocalClusterSecurity.Access}).
 *
 * <p>Thread-safety: immutable; the JDK's {@link HttpClient} may be shared.
 */
final class LocalClusterProbe {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final HttpClient http;
  private final Optional<String> authorization;

  LocalClusterProbe(LocalClusterSecurity.Access access) {
    HttpClient.Builder builder =
        HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1);
    access.sslContext().ifPresent(builder::sslContext);
    this.http = builder.build();
    this.authorization = access.managementAuthorization();
  }

  /** The addresses of the members with status Up as {@code node} sees them; empty if unknown. */
  Set<String> upMembers(LocalClusterNode node) {
    String body = get(URI.create(node.managementUrl() + "/cluster/members"));
    return body == null ? Set.of() : upMembers(body);
  }

  /** {@code node}'s whole {@code GET /cluster/members} answer (members, leader, oldest...). */
  Optional<JsonNode> members(LocalClusterNode node) {
    String body = get(URI.create(node.managementUrl() + "/cluster/members"));
    if (body == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(ApiJson.mapper().readTree(body));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** {@code node}'s {@code GET /replicas} answer (its local replicas' status and instants). */
  Optional<JsonNode> replicas(LocalClusterNode node) {
    String body = get(URI.create(node.managementUrl() + "/replicas"));
    if (body == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(ApiJson.mapper().readTree(body));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** {@code node}'s {@code GET /metrics} answer (Prometheus text); empty if it did not answer. */
  Optional<String> metrics(LocalClusterNode node) {
    return Optional.ofNullable(get(URI.create(node.managementUrl() + "/metrics")));
  }

  /**
   * Whether {@code node}'s readiness check passes. A node starts its management server last, after
   * its client API is bound, so a ready node also serves clients.
   */
  boolean ready(LocalClusterNode node) {
    return get(URI.create(node.managementUrl() + "/ready")) != null;
  }

  /**
   * The {@code members[].node} addresses of a {@code GET /cluster/members} answer with status Up.
   */
  static Set<String> upMembers(String membersJson) {
    Set<String> up = new HashSet<>();
    try {
      for (JsonNode member : ApiJson.mapper().readTree(membersJson).path("members")) {
        if ("Up".equals(member.path("status").asText())) {
          up.add(member.path("node").asText());
        }
      }
    } catch (IOException e) {
      return Set.of();
    }
    return up;
  }

  /** The body of a 200 answer, or null. */
  private String get(URI uri) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
      authorization.ifPresent(a -> request.header("Authorization", a));
      HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString(UTF_8));
      return response.statusCode() == 200 ? response.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
