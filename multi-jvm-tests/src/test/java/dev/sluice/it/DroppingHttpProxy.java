package dev.sluice.it;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain HTTP/1.1 proxy on loopback in front of one node's client API, which can lose the answer
 * to a chosen produce request: it forwards that request, reads the node's whole answer (so the node
 * did everything the request asked, acks included), then closes the client's connection without a
 * byte of it. The client sees a connection closed before any answer, exactly what it sees when a
 * network or a proxy fails after the server acted.
 *
 * <p>Once it dropped an answer, the proxy <em>holds</em> every further request (nothing is
 * forwarded) until {@link #retarget} names a node again, so that the test decides where the
 * client's retry goes. Every request is forwarded on a connection of its own with {@code
 * Connection: close}, and every answer is passed back with {@code Connection: close}: one request
 * per client connection, no keep-alive to get wrong. Request bodies must come with a {@code
 * Content-Length} (the JDK client sends one for the byte bodies Sluice's client uses); a chunked
 * request body is answered with 501.
 *
 * <p>Thread-safety: one thread accepts, one thread per connection forwards; the controls ({@link
 * #dropAnswerOfProduceRequest}, {@link #retarget}) may be called from any thread.
 */
final class DroppingHttpProxy implements AutoCloseable {

  private static final int MAX_HEADER_BYTES = 64 * 1024;

  /** The last four bytes of a header, read as one big-endian int. */
  private static final int CRLF_CRLF = 0x0d0a0d0a;

  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final AtomicInteger produceRequests = new AtomicInteger();
  private final CountDownLatch dropped = new CountDownLatch(1);
  private final Object lock = new Object();

  /** The node requests go to; null while requests are held. Guarded by {@link #lock}. */
  private InetSocketAddress target;

  /** The produce request (counted from 1) whose answer is dropped; 0 for none. */
  private volatile int dropProduceRequest;

  private volatile boolean closed;

  /** Starts a proxy on an ephemeral loopback port that forwards to {@code target}. */
  DroppingHttpProxy(URI target) throws IOException {
    this.target = address(target);
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::accept, "dropping-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The proxy's base URI, for a client. */
  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /**
   * Drops the answer to the {@code n}-th produce request ({@code POST .../records}, counted from 1
   * since the proxy started), then holds every request until {@link #retarget}.
   */
  void dropAnswerOfProduceRequest(int n) {
    dropProduceRequest = n;
  }

  /** Waits until the chosen answer was dropped. */
  boolean awaitDropped(long timeout, TimeUnit unit) throws InterruptedException {
    return dropped.await(timeout, unit);
  }

  /** Sends the held requests and every later one to {@code node}. */
  void retarget(URI node) {
    synchronized (lock) {
      target = address(node);
      lock.notifyAll();
    }
  }

  /** Produce requests seen so far. */
  int produceRequests() {
    return produceRequests.get();
  }

  private static InetSocketAddress address(URI uri) {
    if (!"http".equals(uri.getScheme())) {
      throw new IllegalArgumentException(uri + ": the proxy forwards plain http only");
    }
    return new InetSocketAddress(uri.getHost(), uri.getPort());
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      open.add(client);
      Thread t = new Thread(() -> serve(client), "dropping-proxy-" + client.getPort());
      t.setDaemon(true);
      t.start();
    }
  }

  /** One request of one client connection, then the connection is closed. */
  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      byte[] head = readHead(in);
      if (head == null) {
        return; // the client closed an idle connection
      }
      List<String> lines = lines(head);
      String requestLine = lines.get(0);
      long length = 0;
      List<String> headers = new ArrayList<>();
      for (String h : lines.subList(1, lines.size())) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Long.parseLong(h.substring(h.indexOf(':') + 1).trim());
        } else if (lower.startsWith("transfer-encoding:")) {
          answer(client, "501 Not Implemented", "chunked request bodies are not supported");
          return;
        } else if (lower.startsWith("connection:")) {
          continue;
        }
        headers.add(h);
      }
      byte[] body = in.readNBytes(Math.toIntExact(length));
      if (body.length != length) {
        return; // the client went away mid-body
      }
      String[] parts = requestLine.split(" ");
      boolean produce =
          parts.length >= 2
              && parts[0].equals("POST")
              && parts[1].split("\\?")[0].endsWith("/records");
      int number = produce ? produceRequests.incrementAndGet() : 0;
      InetSocketAddress to = awaitTarget();
      byte[] response = forward(to, requestLine, headers, length, body);
      if (produce && number == dropProduceRequest) {
        synchronized (lock) {
          target = null; // hold the retry until the test says where it goes
        }
        dropped.countDown();
        return; // closing the connection without a byte of the answer
      }
      OutputStream out = client.getOutputStream();
      out.write(withConnectionClose(response));
      out.flush();
    } catch (IOException | InterruptedException | RuntimeException e) {
      // The client sees its connection closed, as with any broken connection.
    } finally {
      open.remove(client);
    }
  }

  private InetSocketAddress awaitTarget() throws InterruptedException {
    synchronized (lock) {
      while (target == null && !closed) {
        lock.wait(TimeUnit.SECONDS.toMillis(1));
      }
      if (closed) {
        throw new InterruptedException("proxy closed");
      }
      return target;
    }
  }

  /** One request on a connection of its own; the whole answer, read until the node closes. */
  private static byte[] forward(
      InetSocketAddress to, String requestLine, List<String> headers, long length, byte[] body)
      throws IOException {
    try (Socket upstream = new Socket()) {
      upstream.connect(to, 10_000);
      upstream.setSoTimeout(120_000);
      StringBuilder head = new StringBuilder(requestLine).append("\r\n");
      for (String h : headers) {
        head.append(h).append("\r\n");
      }
      head.append("Connection: close\r\n\r\n");
      OutputStream out = upstream.getOutputStream();
      out.write(head.toString().getBytes(ISO_8859_1));
      out.write(body, 0, Math.toIntExact(length));
      out.flush();
      return upstream.getInputStream().readAllBytes();
    }
  }

  /** The answer with its {@code Connection} header replaced by {@code Connection: close}. */
  private static byte[] withConnectionClose(byte[] response) throws IOException {
    int end = headEnd(response, response.length);
    if (end < 0) {
      throw new EOFException("the node's answer ended inside its header");
    }
    List<String> lines = lines(Arrays.copyOf(response, end));
    StringBuilder head = new StringBuilder();
    for (String line : lines) {
      if (!line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
        head.append(line).append("\r\n");
      }
    }
    head.append("Connection: close\r\n\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream(response.length + 32);
    out.write(head.toString().getBytes(ISO_8859_1));
    out.write(response, end, response.length - end);
    return out.toByteArray();
  }

  /** The bytes up to and including the blank line, or null at a clean end of stream. */
  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (head.size() == 0) {
          return null;
        }
        throw new EOFException("request header cut after " + head.size() + " bytes");
      }
      head.write(b);
      if (head.size() > MAX_HEADER_BYTES) {
        throw new IOException("request header above " + MAX_HEADER_BYTES + " bytes");
      }
      last = (last << 8) | b;
      if (last == CRLF_CRLF) {
        return head.toByteArray();
      }
    }
  }

  /** The index just after the first CRLFCRLF within {@code length} bytes, or -1. */
  private static int headEnd(byte[] bytes, int length) {
    for (int i = 3; i < length; i++) {
      if (bytes[i - 3] == '\r'
          && bytes[i - 2] == '\n'
          && bytes[i - 1] == '\r'
          && bytes[i] == '\n') {
        return i + 1;
      }
    }
    return -1;
  }

  /** The header's lines, without their CRLFs and without the blank last one. */
  private static List<String> lines(byte[] head) {
    List<String> lines = new ArrayList<>();
    for (String line : new String(head, ISO_8859_1).split("\r\n")) {
      if (!line.isEmpty()) {
        lines.add(line);
      }
    }
    return lines;
  }

  private static void answer(Socket client, String status, String text) throws IOException {
    byte[] body = text.getBytes(ISO_8859_1);
    String head =
        "HTTP/1.1 "
            + status
            + "\r\nContent-Type: text/plain\r\nContent-Length: "
            + body.length
            + "\r\nConnection: close\r\n\r\n";
    OutputStream out = client.getOutputStream();
    out.write(head.getBytes(ISO_8859_1));
    out.write(body);
    out.flush();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    server.close();
    for (Socket s : open) {
      s.close();
    }
    try {
      acceptor.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
