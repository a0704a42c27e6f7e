package dev.sluice.node.http;

import dev.sluice.api.RedirectBody;
import dev.sluice.replication.protocol.PartitionId;
import java.net.URI;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;

/**
 * 307 answers that send a client to the node that can serve its request, with the same method and
 * body: the {@code Location} header and a {@link RedirectBody} name the same URI.
 *
 * <p>Targets come from this node's metadata ({@link TopicService#locate}), so a stage fails with
 * the 404 of an unknown topic or partition, or with a 503 (retry) when the metadata names no node
 * to send the client to.
 *
 * <p>Thread-safety: immutable.
 */
final class Redirects {
  private final TopicService topics;
  private final int localNode;

  Redirects(TopicService topics, int localNode) {
    this.topics = topics;
    this.localNode = localNode;
  }

  /**
   * To the partition's leader.
   *
   * @param noLeader the failure when the partition has no leader now
   * @param leaderIsHere the failure when the metadata names this node, whose replica does not lead
   *     (yet, or any more): sending the client here again would loop
   */
  CompletionStage<HttpResponse> toLeader(
      PartitionId partition,
      HttpRequest req,
      Supplier<ApiException> noLeader,
      Supplier<ApiException> leaderIsHere) {
    return topics
        .locate(partition.topic(), partition.partition())
        .thenApply(
            loc -> {
              URI leaderApi = loc.leaderApi().orElseThrow(noLeader);
              if (loc.leaderNode() == localNode) {
                throw leaderIsHere.get();
              }
              return to(leaderApi, req);
            });
  }

  /** To any node holding a readable replica of the partition, the leader first. */
  CompletionStage<HttpResponse> toReplica(PartitionId partition, HttpRequest req) {
    return topics
        .locate(partition.topic(), partition.partition())
        .thenApply(
            loc -> {
              URI target =
                  loc.leaderApi()
                      .or(() -> loc.replicaApis().stream().findFirst())
                      .orElseThrow(
                          () ->
                              new ApiException(
                                  503, partition + " has no readable replica right now"));
              return to(target, req);
            });
  }

  private static HttpResponse to(URI nodeApi, HttpRequest req) {
    String pathAndQuery =
        req.getUri().path() + req.getUri().rawQueryString().map(q -> "?" + q).orElse("");
    String target = nodeApi.toString().replaceAll("/+$", "") + pathAndQuery;
    return HttpJson.response(StatusCodes.TEMPORARY_REDIRECT.intValue(), new RedirectBody(target))
        .addHeader(Location.create(target));
  }
}
