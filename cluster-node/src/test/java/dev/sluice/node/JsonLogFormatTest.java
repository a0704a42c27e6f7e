package dev.sluice.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The optional JSON log format of {@code logback.xml}: chosen by {@code sluice.log.format=json},
 * and its encoder writes a replica's log lines with the node, topic and partition in the MDC (the
 * encoder of the production configuration, fed by a real node).
 */
class JsonLogFormatTest {
  @TempDir Path dir;

  @Test
  void theFormatPropertyChoosesTheJsonEncoderAndTextIsTheDefault() throws Exception {
    LoggerContext json = configured("json");
    LoggerContext text = configured(null);
    try {
      assertTrue(
          stdout(json).getEncoder() instanceof JsonEncoder, stdout(json).getEncoder().toString());
      assertTrue(
          stdout(text).getEncoder() instanceof PatternLayoutEncoder,
          stdout(text).getEncoder().toString());
      assertEquals(List.of(), problems(json));
      assertEquals(List.of(), problems(text), "no warning at a default start");
    } finally {
      json.stop();
      text.stop();
    }
  }

  @Test
  void aReplicaLogLineCarriesNodeTopicAndPartition() throws Exception {
    LoggerContext production = configured("json");
    Encoder<ILoggingEvent> encoder = stdout(production).getEncoder();
    List<String> lines = new CopyOnWriteArrayList<>();
    LoggerContext running = (LoggerContext) LoggerFactory.getILoggerFactory();
    AppenderBase<ILoggingEvent> capture =
        new AppenderBase<>() {
          @Override
          protected void append(ILoggingEvent event) {
            lines.add(new String(encoder.encode(event), UTF_8));
          }
        };
    capture.setContext(running);
    capture.start();
    Logger root = running.getLogger(Logger.ROOT_LOGGER_NAME);
    root.addAppender(capture);
    try (SluiceNode node =
        SluiceNode.start(TestNodes.singleNode(dir, Map.of("sluice.node.id", "4")))) {
      HttpResponse<String> created =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(node.apiUri() + "/topics"))
                      .header("Content-Type", "application/json")
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"name\":\"logged\",\"partitions\":1}"))
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(201, created.statusCode(), created.body());
      JsonNode line = awaitLine(lines, "leading epoch", "logged");
      JsonNode mdc = line.get("mdc");
      assertEquals("4", mdc.get(LogMdc.NODE).asText(), line.toString());
      assertEquals("logged", mdc.get(LogMdc.TOPIC).asText(), line.toString());
      assertEquals("0", mdc.get(LogMdc.PARTITION).asText(), line.toString());
      assertEquals("INFO", line.get("level").asText());
    } finally {
      root.detachAppender(capture);
      capture.stop();
      production.stop();
    }
  }

  /**
   * The first captured JSON line whose message has {@code text} and whose MDC names {@code topic}.
   */
  private static JsonNode awaitLine(List<String> lines, String text, String topic)
      throws Exception {
    Instant deadline = Instant.now().plusSeconds(30);
    while (Instant.now().isBefore(deadline)) {
      for (String line : lines) {
        JsonNode json = TestCluster.JSON.readTree(line);
        Optional<JsonNode> mdc = Optional.ofNullable(json.get("mdc"));
        if (json.path("formattedMessage").asText().contains(text)
            && mdc.map(m -> m.path(LogMdc.TOPIC).asText()).orElse("").equals(topic)) {
          return json;
        }
      }
      Thread.sleep(20); // polling interval of a condition wait
    }
    throw new AssertionError(
        "no JSON line with \"" + text + "\" and topic " + topic + " among:\n" + lines);
  }

  /** A fresh logging context set up by the production {@code logback.xml}. */
  private static LoggerContext configured(String format) throws Exception {
    LoggerContext context = new LoggerContext();
    if (format != null) {
      context.putProperty("sluice.log.format", format);
    }
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    URL config = JsonLogFormatTest.class.getResource("/logback.xml");
    assertNotNull(config, "logback.xml on the classpath");
    configurator.doConfigure(config);
    return context;
  }

  private static OutputStreamAppender<ILoggingEvent> stdout(LoggerContext context) {
    OutputStreamAppender<ILoggingEvent> appender =
        (OutputStreamAppender<ILoggingEvent>)
            context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
    assertNotNull(appender, "STDOUT attached to the root logger");
    return appender;
  }

  /** Warnings and errors logback recorded while configuring {@code context}. */
  private static List<String> problems(LoggerContext context) {
    return context.getStatusManager().getCopyOfStatusList().stream()
        .filter(s -> s.getLevel() >= Status.WARN)
        .map(Status::getMessage)
        .toList();
  }
}
