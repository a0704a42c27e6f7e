package dev.sluice.node.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.integerSegment;
import static org.apache.pekko.http.javadsl.server.PathMatchers.longSegment;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.sluice.api.AddPartitionsRequest;
import dev.sluice.api.AlterTopicConfigRequest;
import dev.sluice.api.CreateTopicRequest;
import dev.sluice.api.Headers;
import dev.sluice.api.Paths;
import dev.sluice.api.Permission.Action;
import dev.sluice.api.TopicList;
import dev.sluice.node.auth.Authorizer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Rejections;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * Routes of the client HTTP API, whose model (paths, headers, bodies) is the {@code api} module's.
 * Metadata as JSON; record values as raw bytes, streamed in both directions. Routes only route:
 * producing and consuming live in {@link ProduceHandler} and {@link ConsumeHandler}, JSON in {@link
 * HttpJson}, error answers in {@link HttpErrors}.
 *
 * <pre>
 * POST   /topics                                        create a topic
 * GET    /topics                                        list topics
 * GET    /topics/{t}                                    describe a topic
 * DELETE /topics/{t}                                    delete a topic
 * POST   /topics/{t}/partitions                         add partitions
 * PATCH  /topics/{t}/config                             change the topic's settings
 * POST   /leaders/rebalance                             leadership back to preferred replicas
 * POST   /producers                                     a new idempotent producer's id
 * POST /topics/{t}/partitions/{p}/records[?acks=]       produce one record (body = value), or
 *                                                       many as one batch (NDJSON body, or a
 *                                                       producer-built RecordBatch v2)
 * GET  /topics/{t}/partitions/{p}/records/{offset}      one record's value
 * GET  /topics/{t}/partitions/{p}/records?offset=&maxBytes=&maxWaitMs=&minBytes=&follow=
 *                                                       whole batches (or NDJSON) from an offset
 * GET  /cluster/status                                  the cluster at a glance
 * GET  /openapi.yaml                                    this list as an OpenAPI 3 document
 * </pre>
 *
 * <p>With tokens on, each route first asks the {@link Authorizer}: {@code admin} to create, delete,
 * grow or reconfigure a topic and to rebalance leaders, any valid token to list them, {@code
 * admin}, {@code produce:t} or {@code consume:t} to describe topic {@code t}, {@code produce:t} to
 * produce (checked before the body is read and before a redirect to the leader), {@code produce} on
 * any topic or {@code admin} for a producer id, and {@code consume:t} to read records; any valid
 * token reads the cluster's status.
 *
 * <p>Every request is measured ({@link ApiMetrics}): by route and status, and produce and fetch
 * latency.
 *
 * <p>Thread-safety: immutable once built; Pekko HTTP runs the routes concurrently.
 */
public final class ClientApi extends AllDirectives {
  private final TopicService topics;
  private final ProduceHandler produce;
  private final ProducerIdService producerIds;
  private final ConsumeHandler consume;
  private final Authorizer auth;
  private final StatusService status;
  private final ApiMetrics metrics;

  public ClientApi(
      TopicService topics,
      ProduceHandler produce,
      ProducerIdService producerIds,
      ConsumeHandler consume,
      Authorizer auth,
      StatusService status,
      ApiMetrics metrics) {
    this.topics = topics;
    this.produce = produce;
    this.producerIds = producerIds;
    this.consume = consume;
    this.auth = auth;
    this.status = status;
    this.metrics = metrics;
  }

  /**
   * Every route of the client API. Rejections answer the JSON error body ({@link ApiRejections}); a
   * route added here belongs in {@code openapi.yaml} too, which {@code ApiDescriptionTest} checks.
   */
  public Route routes() {
    return metrics.instrument(
        handleRejections(
            ApiRejections.handler(),
            () ->
                handleExceptions(
                    HttpErrors.exceptionHandler(),
                    () ->
                        concat(
                            new ApiDescription().route(),
                            pathPrefix(Paths.TOPICS, this::topics),
                            leadersRoute(),
                            producersRoute(),
                            statusRoute()))));
  }

  private Route topics() {
    return concat(
        pathEnd(
            () ->
                concat(
                    post(() -> auth.require(Action.ADMIN, "", this::createTopic)),
                    get(() -> auth.anyToken(this::listTopics)))),
        pathPrefix(segment(), this::topicRoutes));
  }

  private Route leadersRoute() {
    return path(
        segment(Paths.LEADERS).slash(Paths.REBALANCE),
        () ->
            post(
                () ->
                    auth.require(
                        Action.ADMIN,
                        "",
                        () -> respond(topics.rebalanceLeaders().thenApply(HttpJson::ok)))));
  }

  /** Ids are handed out by this node from its block ({@code dev.sluice.node.ProducerIds}). */
  private Route producersRoute() {
    return path(
        Paths.PRODUCERS,
        () ->
            post(
                () ->
                    auth.requireOnAnyTopic(
                        List.of(Action.PRODUCE, Action.ADMIN),
                        () -> respond(producerIds.newProducer().thenApply(HttpJson::ok)))));
  }

  private Route statusRoute() {
    return path(
        segment(Paths.CLUSTER).slash(Paths.STATUS),
        () -> get(() -> auth.anyToken(() -> respond(status.status().thenApply(HttpJson::ok)))));
  }

  private Route topicRoutes(String topic) {
    return concat(
        pathEnd(
            () ->
                concat(
                    get(
                        () ->
                            auth.requireAny(
                                List.of(Action.ADMIN, Action.PRODUCE, Action.CONSUME),
                                topic,
                                () -> respond(topics.describe(topic).thenApply(HttpJson::ok)))),
                    delete(
                        () ->
                            auth.require(
                                Action.ADMIN,
                                topic,
                                () -> respond(topics.delete(topic).thenApply(HttpJson::ok)))))),
        path(
            Paths.PARTITIONS,
            () -> post(() -> auth.require(Action.ADMIN, topic, () -> addPartitions(topic)))),
        path(
            Paths.CONFIG,
            () -> patch(() -> auth.require(Action.ADMIN, topic, () -> alterConfig(topic)))),
        pathPrefix(
            segment(Paths.PARTITIONS).slash(integerSegment()).slash(Paths.RECORDS),
            partition -> recordRoutes(topic, partition)));
  }

  private Route recordRoutes(String topic, int partition) {
    return concat(
        pathEnd(
            () ->
                concat(
                    post(
                        () ->
                            auth.require(
                                Action.PRODUCE, topic, () -> produceRoute(topic, partition))),
                    get(
                        () ->
                            auth.require(
                                Action.CONSUME, topic, () -> batchesRoute(topic, partition))))),
        path(
            longSegment(),
            offset ->
                get(
                    () ->
                        auth.require(
                            Action.CONSUME,
                            topic,
                            () ->
                                extractRequest(
                                    request ->
                                        respond(
                                            consume.record(topic, partition, offset, request)))))));
  }

  private Route produceRoute(String topic, int partition) {
    return optionalHeaderValueByName(
        Headers.KEY,
        key ->
            parameterOptional(
                Paths.ACKS,
                acks ->
                    extractRequest(
                        request ->
                            respond(produce.produce(topic, partition, key, acks, request)))));
  }

  /** The other query parameters (maxBytes, maxWaitMs, minBytes, follow) are the handler's. */
  private Route batchesRoute(String topic, int partition) {
    return parameter(
        Paths.OFFSET,
        offset ->
            extractRequest(request -> respond(consume.batches(topic, partition, offset, request))));
  }

  private Route createTopic() {
    return jsonEntity(
        HttpJson.createTopicRequest(),
        (CreateTopicRequest request) ->
            respond(
                topics
                    .create(
                        request.name(),
                        request.partitions(),
                        request.replicationFactor(),
                        request.config())
                    .thenApply(description -> HttpJson.response(201, description))));
  }

  /** A JSON request body read by {@code unmarshaller}; a body of another media type is a 415. */
  private <T> Route jsonEntity(
      Unmarshaller<HttpEntity, T> unmarshaller, java.util.function.Function<T, Route> inner) {
    return extractRequestEntity(
        body ->
            HttpJson.readableAsJson(body.getContentType())
                ? entity(unmarshaller, inner)
                : reject(
                    Rejections.unsupportedRequestContentType(
                        List.<MediaType>of(
                            org.apache.pekko.http.javadsl.model.MediaTypes.APPLICATION_JSON))));
  }

  private Route addPartitions(String topic) {
    return jsonEntity(
        HttpJson.addPartitionsRequest(),
        (AddPartitionsRequest request) ->
            respond(topics.addPartitions(topic, request.partitions()).thenApply(HttpJson::ok)));
  }

  private Route alterConfig(String topic) {
    return jsonEntity(
        HttpJson.alterTopicConfigRequest(),
        (AlterTopicConfigRequest request) ->
            respond(topics.alterConfig(topic, request.config()).thenApply(HttpJson::ok)));
  }

  private Route listTopics() {
    return respond(topics.list().thenApply(list -> HttpJson.ok(new TopicList(list))));
  }

  private Route respond(CompletionStage<HttpResponse> response) {
    return completeWithFuture(response.exceptionally(HttpErrors::errorResponse));
  }
}
