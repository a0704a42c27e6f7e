package dev.sluice.node;

import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.FrameCodec;
import dev.sluice.replication.protocol.FrameDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.util.ByteString;

/**
 * A replication leader for tests of the follower's side of a node: it accepts connections on a
 * blocking socket, records every handshake and frame per connection, and answers a handshake as a
 * leader at the follower's own end would (a {@link Frame.LeaderStatus} of the follower's epoch and
 * log end, repeated as a heartbeat), so that an honest follower reaches IN_SYNC and keeps its
 * connection, or, once told to, refuses it with a Rejected frame and closes it. It never sends
 * records. Thread-safe: one thread per connection, lists safe to read from the test thread.
 */
final class FakeReplicationLeader implements AutoCloseable {
  private static final int HEARTBEAT_MILLIS = 100;

  /** One accepted connection: its frames in order, and whether the follower closed it. */
  static final class Connection {
    final List<Frame> frames = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    List<Frame.Hello> hellos() {
      List<Frame.Hello> out = new ArrayList<>();
      for (Frame f : frames) {
        if (f instanceof Frame.Hello h) {
          out.add(h);
        }
      }
      return out;
    }

    long progressFrames() {
      return frames.stream().filter(f -> f instanceof Frame.Progress).count();
    }
  }

  /** When set, every handshake is answered with this and the connection closed, as a refusal. */
  private volatile Frame.Rejected refusal;

  private final ServerSocket server;
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  FakeReplicationLeader() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::accept, "fake-leader-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Refuses every handshake from now on with {@code rejected}, as a leader that refuses does. */
  void refuseWith(Frame.Rejected rejected) {
    refusal = rejected;
  }

  int port() {
    return server.getLocalPort();
  }

  List<Connection> connections() {
    return List.copyOf(connections);
  }

  /** Every handshake received, over every connection, in the order the connections came. */
  List<Frame.Hello> hellos() {
    List<Frame.Hello> out = new ArrayList<>();
    for (Connection c : connections) {
      out.addAll(c.hellos());
    }
    return out;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Connection c = new Connection();
        connections.add(c);
        Thread t = new Thread(() -> serve(s, c), "fake-leader-conn-" + s.getPort());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket s, Connection c) {
    FrameDecoder decoder = new FrameDecoder("fake leader", 1 << 20);
    byte[] buffer = new byte[8192];
    Frame.Hello hello = null;
    try (s) {
      s.setSoTimeout(HEARTBEAT_MILLIS);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      while (true) {
        int n;
        try {
          n = in.read(buffer);
        } catch (SocketTimeoutException quiet) {
          n = 0;
        }
        if (n < 0) {
          break;
        }
        decoder.feed(ByteString.fromArray(buffer, 0, n));
        for (Frame f = decoder.next(); f != null; f = decoder.next()) {
          c.frames.add(f);
          if (f instanceof Frame.Hello h && hello == null) {
            hello = h;
          }
        }
        Frame.Rejected refused = refusal;
        if (hello != null && refused != null) {
          out.write(FrameCodec.encode(refused).toArray());
          out.flush();
          break;
        }
        if (hello != null) {
          out.write(
              FrameCodec.encode(
                      new Frame.LeaderStatus(
                          hello.currentLeaderEpoch(), hello.logEndOffset(), hello.logEndOffset()))
                  .toArray());
          out.flush();
        }
      }
    } catch (IOException e) {
      // the follower dropped the connection
    } finally {
      c.closed = true;
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
