package dev.sluice.node.http;

import dev.sluice.api.Auth;
import dev.sluice.api.ErrorBody;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.AuthenticationFailedRejection;
import org.apache.pekko.http.javadsl.server.AuthorizationFailedRejection;
import org.apache.pekko.http.javadsl.server.MalformedHeaderRejection;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MissingHeaderRejection;
import org.apache.pekko.http.javadsl.server.MissingQueryParamRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.RequestEntityExpectedRejection;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.http.javadsl.server.ValidationRejection;

/**
 * Routing rejections of the client API as {@link ErrorBody} answers: an unknown path (404), a
 * method the path does not serve (405, with {@code Allow}), a missing or malformed query parameter
 * or header (400), a request body that is missing, malformed or of the wrong media type (400, 415),
 * missing or refused credentials (401, 403). A rejection this handler does not name goes through
 * Pekko's default handler and has its text answer turned into an error body with the same status,
 * so no rejection ever answers {@code text/plain}.
 *
 * <p>A rejected request's body is discarded before the answer, as Pekko's own handler does, so that
 * the connection can carry the next request.
 *
 * <p>Thread-safety: stateless; the handler is immutable.
 */
public final class ApiRejections {
  /**
   * How the message of every 404 for a path no route serves begins; a 404 for an unknown topic or
   * partition says something else. The API description's test tells the two apart by it.
   */
  public static final String NO_ROUTE = "no resource at ";

  private static final RejectionHandler HANDLER =
      RejectionHandler.newBuilder()
          .handleAll(MethodRejection.class, ApiRejections::methodNotAllowed)
          .handle(
              AuthenticationFailedRejection.class,
              r ->
                  answer(
                      withChallenge(
                          error(401, "this request needs valid credentials"), r.challenge())))
          .handle(
              AuthorizationFailedRejection.class,
              r -> answer(error(403, "the credentials of this request do not allow it")))
          .handle(
              MissingHeaderRejection.class,
              r -> answer(error(400, "header " + r.headerName() + " is required")))
          .handle(
              MalformedHeaderRejection.class,
              r ->
                  answer(error(400, "header " + r.headerName() + " is malformed: " + r.errorMsg())))
          .handle(
              MissingQueryParamRejection.class,
              r -> answer(error(400, "query parameter '" + r.parameterName() + "' is required")))
          .handle(
              MalformedQueryParamRejection.class,
              r ->
                  answer(
                      error(
                          400,
                          "query parameter '"
                              + r.parameterName()
                              + "' is malformed: "
                              + r.errorMsg())))
          .handle(MalformedRequestContentRejection.class, ApiRejections::malformedContent)
          .handle(
              RequestEntityExpectedRejection.class,
              r -> answer(error(400, "this request needs a body")))
          .handleAll(UnsupportedRequestContentTypeRejection.class, ApiRejections::unsupportedType)
          .handle(ValidationRejection.class, r -> answer(error(400, r.message())))
          .handleNotFound(new Directives().extractRequest(ApiRejections::notFound))
          .build()
          .withFallback(
              RejectionHandler.defaultHandler().mapRejectionResponse(ApiRejections::asJson));

  private ApiRejections() {}

  /** The client API's rejection handler. */
  public static RejectionHandler handler() {
    return HANDLER;
  }

  private static Route notFound(HttpRequest request) {
    return answer(
        error(
            404,
            NO_ROUTE
                + request.getUri().path()
                + " ("
                + request.method().name()
                + "); the API is described at GET /openapi.yaml"));
  }

  private static Route methodNotAllowed(List<MethodRejection> rejections) {
    Set<HttpMethod> allowed = new LinkedHashSet<>();
    rejections.forEach(r -> allowed.add(r.supported()));
    String names = allowed.stream().map(HttpMethod::name).collect(Collectors.joining(", "));
    return new Directives()
        .extractRequest(
            request ->
                answer(
                    error(
                            405,
                            "method "
                                + request.method().name()
                                + " is not allowed on "
                                + request.getUri().path()
                                + "; allowed: "
                                + names)
                        .addHeader(Allow.create(allowed.toArray(new HttpMethod[0])))));
  }

  /** A body that did not parse: our own parsers say why with an {@link ApiException}. */
  private static Route malformedContent(MalformedRequestContentRejection r) {
    Throwable cause = HttpErrors.unwrap(r.getCause());
    if (cause instanceof ApiException api) {
      return answer(HttpJson.response(api.status(), api.body()));
    }
    return answer(error(400, "request body is malformed: " + r.message()));
  }

  private static Route unsupportedType(List<UnsupportedRequestContentTypeRejection> rejections) {
    String supported =
        rejections.stream()
            .flatMap(r -> r.getSupported().stream())
            .map(Object::toString)
            .distinct()
            .collect(Collectors.joining(" or "));
    return new Directives()
        .extractRequest(
            request ->
                answer(
                    error(
                        415,
                        "Content-Type "
                            + request.entity().getContentType()
                            + " is not supported by "
                            + request.method().name()
                            + " "
                            + request.getUri().path()
                            + "; send "
                            + supported)));
  }

  /** Pekko's default answer for a rejection not named above, its text moved into an error body. */
  private static HttpResponse asJson(HttpResponse plain) {
    HttpEntity entity = plain.entity();
    String text =
        entity instanceof HttpEntity.Strict strict
            ? strict.getData().utf8String().trim().replace('\n', ' ')
            : "request refused";
    if (text.isEmpty()) {
      text = plain.status().reason();
    }
    HttpResponse json = HttpJson.response(plain.status().intValue(), new ErrorBody(text));
    for (var header : plain.getHeaders()) {
      json = json.addHeader(header);
    }
    return json;
  }

  private static HttpResponse withChallenge(HttpResponse response, HttpChallenge challenge) {
    HttpChallenge c = challenge == null ? HttpChallenge.create(Auth.BEARER, Auth.REALM) : challenge;
    return response.addHeader(WWWAuthenticate.create(c));
  }

  private static HttpResponse error(int status, String message) {
    return HttpJson.response(status, new ErrorBody(message));
  }

  /** Completes with {@code response} once the request's unread body is discarded. */
  private static Route answer(HttpResponse response) {
    Directives d = new Directives();
    return d.extractRequest(
        request ->
            d.extractMaterializer(
                mat -> {
                  request.discardEntityBytes(mat);
                  return d.complete(response);
                }));
  }

  /** Directives outside a route class. */
  private static final class Directives extends AllDirectives {}
}
