package dev.sluice.security;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/** One TLS 1.3 exchange over loopback sockets, for tests of contexts. */
final class Handshakes {
  private Handshakes() {}

  /** What each side saw of the other. */
  record Result(OptionalInt serverSawClient, OptionalInt clientSawServer) {}

  /**
   * Connects a client with {@code client} to a server with {@code server} that demands a client
   * certificate, exchanges one byte, and reports which node each side's peer certificate names.
   *
   * @throws IOException when the handshake fails on either side
   */
  static Result mutual(SSLContext server, SSLContext client) throws Exception {
    try (SSLServerSocket listener =
        (SSLServerSocket)
            server
                .getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listener.setNeedClientAuth(true);
      listener.setEnabledProtocols(new String[] {"TLSv1.3"});
      listener.setSoTimeout(20_000);
      // Completed before the server closes its socket: a TLS 1.3 close waits for the peer's
      // close_notify, which the client sends only after it has the result.
      CompletableFuture<OptionalInt> accepted = new CompletableFuture<>();
      Thread serverThread =
          new Thread(
              () -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                  s.setSoTimeout(20_000);
                  InputStream in = s.getInputStream();
                  int b = in.read();
                  OutputStream out = s.getOutputStream();
                  out.write(b);
                  out.flush();
                  accepted.complete(NodeIdentity.ofSession(s.getSession()));
                } catch (IOException | RuntimeException e) {
                  accepted.completeExceptionally(e);
                }
              },
              "tls-test-server");
      serverThread.setDaemon(true);
      serverThread.start();
      try (SSLSocket s =
          (SSLSocket)
              client
                  .getSocketFactory()
                  .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
        s.setSoTimeout(20_000);
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        OptionalInt serverId;
        try {
          s.startHandshake();
          serverId = NodeIdentity.ofSession(s.getSession());
          s.getOutputStream().write(42);
          s.getOutputStream().flush();
          if (s.getInputStream().read() != 42) {
            throw new IOException("the server did not echo");
          }
        } catch (IOException e) {
          // the server's reason is the more telling one
          try {
            accepted.get(20, TimeUnit.SECONDS);
          } catch (ExecutionException serverFailure) {
            throw new IOException("server: " + serverFailure.getCause().getMessage(), e);
          }
          throw e;
        }
        try {
          return new Result(accepted.get(20, TimeUnit.SECONDS), serverId);
        } catch (ExecutionException e) {
          throw new IOException("server: " + e.getCause().getMessage(), e.getCause());
        }
      }
    }
  }
}
