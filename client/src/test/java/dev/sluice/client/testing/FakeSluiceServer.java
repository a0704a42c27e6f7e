package dev.sluice.client.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.sluice.api.Headers;
import dev.sluice.api.MediaTypes;
import dev.sluice.client.SluiceClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;

/**
 * A stand-in for a node's HTTP API on a free loopback port, so that client and CLI tests do not
 * depend on a real node. Answers are registered per {@code "METHOD /path"} (query excluded); every
 * request is recorded with its body for assertions. Unregistered paths answer 404 with a Sluice
 * error body. {@link #https} serves the same over TLS with a given server certificate.
 *
 * <p>Thread-safety: routes may be registered and requests read from any thread; the JDK's server
 * answers on its own thread.
 */
public final class FakeSluiceServer implements AutoCloseable {

  /**
   * What the fake saw; {@code key} is the decoded {@code X-Sluice-Key}, or null; {@code
   * authorization} the {@code Authorization} header, or null.
   */
  public record Request(
      String method, String path, String query, String key, String authorization, byte[] body) {
    public String bodyText() {
      return new String(body, UTF_8);
    }
  }

  /** A scripted answer. */
  @FunctionalInterface
  public interface Responder {
    void respond(HttpExchange exchange, Request request) throws IOException;
  }

  private final HttpServer server;
  private final Map<String, Responder> routes = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();

  private final String scheme;

  /** A plain-HTTP fake. */
  public FakeSluiceServer() throws IOException {
    this(HttpServer.create(loopback(), 0), "http");
  }

  /** A plain-HTTP fake on a given loopback port, e.g. one a test saw refuse connections before. */
  public static FakeSluiceServer onPort(int port) throws IOException {
    return new FakeSluiceServer(
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0),
        "http");
  }

  private FakeSluiceServer(HttpServer server, String scheme) {
    this.server = server;
    this.scheme = scheme;
    server.createContext("/", this::handle);
    server.start();
  }

  /**
   * An HTTPS fake whose certificate and key come from {@code context}; the certificate must name
   * 127.0.0.1, since the client verifies the host.
   */
  public static FakeSluiceServer https(SSLContext context) throws IOException {
    HttpsServer server = HttpsServer.create(loopback(), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(context));
    return new FakeSluiceServer(server, "https");
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  public String url() {
    return scheme + "://127.0.0.1:" + server.getAddress().getPort();
  }

  public FakeSluiceServer on(String method, String path, Responder responder) {
    routes.put(method + " " + path, responder);
    return this;
  }

  public FakeSluiceServer onJson(String method, String path, int status, String json) {
    return on(method, path, (exchange, request) -> send(exchange, status, json));
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(UTF_8);
    exchange.getResponseHeaders().set("Content-Type", MediaTypes.JSON);
    sendBytes(exchange, status, bytes);
  }

  public static void sendBytes(HttpExchange exchange, int status, byte[] bytes) throws IOException {
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  public static void redirect(HttpExchange exchange, URI location) throws IOException {
    exchange.getResponseHeaders().set("Location", location.toString());
    send(exchange, 307, "{\"error\":\"not the leader\"}");
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      URI uri = exchange.getRequestURI();
      String method = exchange.getRequestMethod();
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      String key = exchange.getRequestHeaders().getFirst(Headers.KEY);
      Request request =
          new Request(
              method,
              uri.getRawPath(),
              uri.getRawQuery(),
              key == null ? null : SluiceClient.fromHeaderValue(key),
              exchange.getRequestHeaders().getFirst("Authorization"),
              body);
      requests.add(request);
      Responder responder = routes.get(method + " " + uri.getRawPath());
      if (responder == null) {
        send(exchange, 404, "{\"error\":\"no route " + method + " " + uri.getRawPath() + "\"}");
      } else {
        responder.respond(exchange, request);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
