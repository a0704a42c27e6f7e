package dev.sluice.node.http;

import java.net.URI;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;

/** 307 answers that send a client to the node that can serve its request, same method and body. */
final class Redirects {
  private Redirects() {}

  static HttpResponse to(URI nodeApi, HttpRequest req) {
    String pathAndQuery =
        req.getUri().path() + req.getUri().rawQueryString().map(q -> "?" + q).orElse("");
    String target = nodeApi.toString().replaceAll("/+$", "") + pathAndQuery;
    return HttpResponse.create()
        .withStatus(StatusCodes.TEMPORARY_REDIRECT)
        .addHeader(Location.create(target))
        .withEntity(
            org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_JSON,
            ("{\"redirect\":\"" + target + "\"}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
