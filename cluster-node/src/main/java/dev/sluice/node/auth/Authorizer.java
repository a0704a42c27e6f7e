package dev.sluice.node.auth;

import dev.sluice.api.Auth;
import dev.sluice.api.ErrorBody;
import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import dev.sluice.node.http.HttpJson;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Bearer-token checks in front of the client API's routes: who the caller is (its {@code
 * Authorization: Bearer} token, looked up in the {@link TokenStore}) and whether that token holds
 * the permission a route needs.
 *
 * <ul>
 *   <li>401, with {@code WWW-Authenticate: Bearer realm="sluice"}, when no Bearer token was sent;
 *       with {@code error="invalid_token"} added when one was sent that no entry holds.
 *   <li>403 when the token lacks the permission; the body names the token and the permission needed
 *       ({@link ErrorBody#TOKEN}, {@link ErrorBody#REQUIRED_PERMISSION}).
 * </ul>
 *
 * <p>A check answers without touching the request's body: an upload refused here is never read, and
 * a client that sent {@code Expect: 100-continue} is never asked for it. It also answers before any
 * redirect, so a caller without the permission does not learn which node leads a partition. {@link
 * #none()} (setting {@code auth = none}) passes every request through and ignores any {@code
 * Authorization} header.
 *
 * <p>Thread-safety: immutable; the tokens in force come from the store on each request.
 */
public final class Authorizer extends AllDirectives {
  private static final String HOW =
      "send 'Authorization: "
          + Auth.BEARER
          + " <token>' (bin/sluice: --token or "
          + Auth.TOKEN_ENV
          + ")";

  private static final Authorizer NONE = new Authorizer();

  /** How a 403 names the topic of a permission that any topic would satisfy. */
  static final String ANY_TOPIC = "<any topic>";

  private final TokenStore store;
  private final int nodeId;

  /**
   * Checks requests against {@code store}'s tokens.
   *
   * @param nodeId this node's id, which 401 messages name
   */
  public Authorizer(TokenStore store, int nodeId) {
    this.store = Objects.requireNonNull(store, "store");
    this.nodeId = nodeId;
  }

  private Authorizer() {
    this.store = null;
    this.nodeId = -1;
  }

  /** No checks: setting {@code auth = none}. */
  public static Authorizer none() {
    return NONE;
  }

  /** Whether requests are checked. */
  public boolean enabled() {
    return store != null;
  }

  /** {@code inner} for any valid token, whatever its permissions. */
  public Route anyToken(Supplier<Route> inner) {
    return check(List.of(), "", inner);
  }

  /** {@code inner} for a token allowed {@code action} on {@code topic} (ignored for admin). */
  public Route require(Permission.Action action, String topic, Supplier<Route> inner) {
    return check(List.of(action), topic, inner);
  }

  /** {@code inner} for a token allowed any one of {@code anyOf} on {@code topic}. */
  public Route requireAny(List<Permission.Action> anyOf, String topic, Supplier<Route> inner) {
    if (anyOf.isEmpty()) {
      throw new IllegalArgumentException("requireAny needs at least one action; see anyToken");
    }
    return check(List.copyOf(anyOf), topic, inner);
  }

  /**
   * {@code inner} for a token holding any one of {@code anyOf} on at least one topic (any glob), or
   * {@code admin} when it is among them: for requests that name no topic but are part of an action
   * on topics ({@code POST /producers} serves producers, whatever they produce to).
   */
  public Route requireOnAnyTopic(List<Permission.Action> anyOf, Supplier<Route> inner) {
    if (anyOf.isEmpty()) {
      throw new IllegalArgumentException("requireOnAnyTopic needs at least one action");
    }
    return check(List.copyOf(anyOf), null, inner);
  }

  /**
   * @param topic the topic the request acts on; null: any topic will do
   */
  private Route check(List<Permission.Action> anyOf, String topic, Supplier<Route> inner) {
    if (store == null) {
      return inner.get();
    }
    return optionalHeaderValueByName(
        Auth.AUTHORIZATION,
        header -> refusal(header, anyOf, topic).map(this::complete).orElseGet(inner));
  }

  /**
   * The answer refusing a request with this {@code Authorization} header, or empty when the request
   * may go on.
   *
   * @param anyOf the actions any one of which allows the request; none: any valid token will do
   * @param topic the topic the request acts on; null: an action on any topic allows the request
   */
  Optional<HttpResponse> refusal(
      Optional<String> authorization, List<Permission.Action> anyOf, String topic) {
    Optional<String> token = authorization.flatMap(Auth::bearerToken);
    if (token.isEmpty()) {
      return Optional.of(unauthorized(missing(authorization), false));
    }
    Optional<TokenFile.Entry> entry = store.current().authenticate(token.get());
    if (entry.isEmpty()) {
      return Optional.of(
          unauthorized("the bearer token is unknown or revoked on node " + nodeId, true));
    }
    for (Permission.Action action : anyOf) {
      boolean granted =
          topic == null
              ? entry.get().permissions().stream().anyMatch(p -> p.action() == action)
              : Tokens.grants(entry.get(), action, topic);
      if (granted) {
        return Optional.empty();
      }
    }
    return anyOf.isEmpty() ? Optional.empty() : Optional.of(forbidden(entry.get(), anyOf, topic));
  }

  private String missing(Optional<String> authorization) {
    if (authorization.isEmpty()) {
      return "node " + nodeId + " requires a bearer token: " + HOW;
    }
    String scheme = Auth.scheme(authorization.get());
    if (scheme.equalsIgnoreCase(Auth.BEARER)) {
      return "node "
          + nodeId
          + " requires a bearer token, the Authorization header holds none: "
          + HOW;
    }
    return "node "
        + nodeId
        + " requires a bearer token, the Authorization header uses the '"
        + scheme
        + "' scheme: "
        + HOW;
  }

  private static HttpResponse unauthorized(String message, boolean tokenSent) {
    HttpChallenge challenge =
        tokenSent
            ? HttpChallenge.create(Auth.BEARER, Auth.REALM, Map.of("error", "invalid_token"))
            : HttpChallenge.create(Auth.BEARER, Auth.REALM);
    return HttpJson.response(401, new ErrorBody(message))
        .addHeader(WWWAuthenticate.create(challenge));
  }

  private static HttpResponse forbidden(
      TokenFile.Entry entry, List<Permission.Action> anyOf, String topic) {
    List<String> needed =
        anyOf.stream().map(a -> Permission.required(a, topic == null ? ANY_TOPIC : topic)).toList();
    String lacks =
        needed.size() == 1
            ? needed.get(0)
            : needed.subList(0, needed.size() - 1).stream().collect(Collectors.joining(", "))
                + " or "
                + needed.get(needed.size() - 1);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put(ErrorBody.TOKEN, entry.name());
    details.put(ErrorBody.REQUIRED_PERMISSION, String.join("|", needed));
    return HttpJson.response(
        403,
        new ErrorBody(
            "token '"
                + entry.name()
                + "' lacks "
                + lacks
                + " (it has "
                + entry.describePermissions()
                + ")",
            details));
  }
}
