package dev.sluice.node.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.integerSegment;
import static org.apache.pekko.http.javadsl.server.PathMatchers.longSegment;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Routes of the client HTTP API. Metadata as JSON; record values as raw bytes, streamed in both
 * directions. Handlers only route: producing and consuming live in {@link ProduceHandler} and
 * {@link ConsumeHandler}, JSON in {@link Json}.
 *
 * <pre>
 * POST /topics                                          create a topic
 * GET  /topics                                          list topics
 * GET  /topics/{t}                                      describe a topic
 * POST /topics/{t}/partitions/{p}/records[?acks=]       produce one record (body = value)
 * GET  /topics/{t}/partitions/{p}/records/{offset}      one record's value
 * GET  /topics/{t}/partitions/{p}/records?offset=&maxBytes=   whole batches from an offset
 * </pre>
 */
public final class ClientApi extends AllDirectives {
  private final ActorSystem<?> system;
  private final TopicService topics;
  private final ProduceHandler produce;
  private final ConsumeHandler consume;

  public ClientApi(
      ActorSystem<?> system, TopicService topics, ProduceHandler produce, ConsumeHandler consume) {
    this.system = system;
    this.topics = topics;
    this.produce = produce;
    this.consume = consume;
  }

  public Route routes() {
    return handleExceptions(
        Json.exceptionHandler(),
        () ->
            pathPrefix(
                "topics",
                () ->
                    concat(
                        pathEnd(() -> concat(post(this::createTopic), get(this::listTopics))),
                        pathPrefix(segment(), this::topicRoutes))));
  }

  private Route topicRoutes(String topic) {
    return concat(
        pathEnd(() -> get(() -> respond(topics.describe(topic).thenApply(Json::ok)))),
        pathPrefix(
            segment("partitions").slash(integerSegment()).slash("records"),
            partition -> recordRoutes(topic, partition)));
  }

  private Route recordRoutes(String topic, int partition) {
    return concat(
        pathEnd(
            () ->
                concat(
                    post(
                        () ->
                            optionalHeaderValueByName(
                                ProduceHandler.KEY_HEADER,
                                key ->
                                    parameterOptional(
                                        "acks",
                                        acks ->
                                            extractRequest(
                                                request ->
                                                    respond(
                                                        produce.produce(
                                                            topic, partition, key, acks,
                                                            request)))))),
                    get(
                        () ->
                            parameter(
                                "offset",
                                offset ->
                                    parameterOptional(
                                        "maxBytes",
                                        maxBytes ->
                                            extractRequest(
                                                request ->
                                                    respond(
                                                        consume.batches(
                                                            topic, partition, offset, maxBytes,
                                                            request)))))))),
        path(
            longSegment(),
            offset ->
                get(
                    () ->
                        extractRequest(
                            request ->
                                respond(consume.record(topic, partition, offset, request))))));
  }

  private Route createTopic() {
    return entity(
        Json.unmarshaller(system),
        (JsonNode body) -> {
          String name = Json.requiredText(body, "name");
          int partitions = Json.requiredInt(body, "partitions");
          int rf = Json.optionalInt(body, "replicationFactor").orElse(1);
          return respond(
              topics.create(name, partitions, rf).thenApply(view -> Json.response(201, view)));
        });
  }

  private Route listTopics() {
    return respond(topics.list().thenApply(list -> Json.ok(Map.of("topics", list))));
  }

  private Route respond(CompletionStage<HttpResponse> response) {
    return completeWithFuture(response.exceptionally(Json::errorResponse));
  }
}
