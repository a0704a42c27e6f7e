package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.api.ApiJson;
import dev.sluice.api.ErrorBody;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.Rejections;
import org.apache.pekko.http.javadsl.server.RequestEntityExpectedRejection;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The rejection kinds that the client API's routes do not produce today but a route added tomorrow
 * may ({@code headerValueByName}, Pekko's authentication directives, a validation, a range, a
 * scheme): each answers the JSON error body too, the ones without a case of their own through
 * Pekko's default handler with its text moved into the body. Each path of a bare server rejects
 * with one of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiRejectionsTest extends AllDirectives {
  private ActorSystem system;
  private ServerBinding binding;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  void bind() throws Exception {
    system = ActorSystem.create("rejections");
    Route routes =
        handleRejections(
            ApiRejections.handler(),
            () ->
                concat(
                    path("header", () -> rejecting(Rejections.missingHeader("X-Sluice-Key"))),
                    path(
                        "malformed-header",
                        () -> rejecting(Rejections.malformedHeader("X-Sluice-Key", "not ASCII"))),
                    path(
                        "credentials",
                        () ->
                            rejecting(
                                Rejections.authenticationCredentialsMissing(
                                    HttpChallenge.create("Bearer", "sluice")))),
                    path("authorization", () -> rejecting(Rejections.authorizationFailed())),
                    path(
                        "validation",
                        () ->
                            rejecting(
                                Rejections.validationRejection("partitions = 0: must be > 0"))),
                    path("body", () -> rejecting(RequestEntityExpectedRejection.get())),
                    path(
                        "parameter",
                        () -> rejecting(Rejections.malformedQueryParam("offset", "not a number"))),
                    path("ranges", () -> rejecting(Rejections.tooManyRanges(1))),
                    path(
                        "form-field",
                        () -> rejecting(Rejections.malformedFormField("name", "not a string")))));
    binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(routes).toCompletableFuture().get();
  }

  @AfterAll
  void unbind() throws Exception {
    binding.unbind().toCompletableFuture().get();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get();
  }

  @Test
  void eachRejectionIsAnErrorBodyWithItsStatus() throws Exception {
    assertEquals(new Answer(400, "header X-Sluice-Key is required"), get("/header"));
    assertEquals(
        new Answer(400, "header X-Sluice-Key is malformed: not ASCII"), get("/malformed-header"));
    assertEquals(new Answer(401, "this request needs valid credentials"), get("/credentials"));
    assertEquals(
        new Answer(403, "the credentials of this request do not allow it"), get("/authorization"));
    assertEquals(new Answer(400, "partitions = 0: must be > 0"), get("/validation"));
    assertEquals(new Answer(400, "this request needs a body"), get("/body"));
    assertEquals(
        new Answer(400, "query parameter 'offset' is malformed: not a number"), get("/parameter"));
  }

  @Test
  void aRejectionWithoutItsOwnCaseKeepsPekkosStatusAndTextInAnErrorBody() throws Exception {
    assertEquals(new Answer(416, "Request contains too many ranges"), get("/ranges"));
    // Pekko's text on two lines becomes one
    assertEquals(
        new Answer(400, "The form field 'name' was malformed: not a string"), get("/form-field"));
  }

  @Test
  void credentialsMissingCarriesTheChallenge() throws Exception {
    HttpResponse<String> r = send("/credentials");
    assertEquals(
        Optional.of("Bearer realm=\"sluice\""), r.headers().firstValue("WWW-Authenticate"));
  }

  private Route rejecting(Rejection rejection) {
    return reject(rejection);
  }

  private record Answer(int status, String error) {}

  private Answer get(String path) throws Exception {
    HttpResponse<String> r = send(path);
    assertEquals(List.of("application/json"), r.headers().allValues("Content-Type"), r.body());
    return new Answer(
        r.statusCode(), ApiJson.mapper().readValue(r.body(), ErrorBody.class).error());
  }

  private HttpResponse<String> send(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + path))
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
