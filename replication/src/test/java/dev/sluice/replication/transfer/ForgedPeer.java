package dev.sluice.replication.transfer;

import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.FrameCodec;
import dev.sluice.replication.protocol.FrameDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.util.ByteString;

/**
 * A hand-written replication peer on a blocking socket, plain or TLS: it sends whatever frames a
 * test forges and decodes what the leader answers, until the leader closes the connection. Reads
 * time out after 15 s, so a leader that neither answers nor closes fails the test instead of
 * hanging it. Not thread-safe: one test thread uses it.
 */
final class ForgedPeer implements AutoCloseable {
  private static final int READ_TIMEOUT_MILLIS = 15_000;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final FrameDecoder decoder;
  private final byte[] buffer = new byte[64 * 1024];
  private boolean closed;
  private SSLException tlsFailure;

  private ForgedPeer(Socket socket, long peerMaxBytes) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.decoder =
        new FrameDecoder("forged peer of " + socket.getRemoteSocketAddress(), peerMaxBytes);
  }

  static ForgedPeer plaintext(InetSocketAddress leader, long peerMaxBytes) throws IOException {
    Socket s = new Socket();
    s.connect(leader, READ_TIMEOUT_MILLIS);
    return new ForgedPeer(s, peerMaxBytes);
  }

  /** A TLS client with {@code context}'s key and trust; the handshake runs on the first I/O. */
  static ForgedPeer tls(SSLContext context, InetSocketAddress leader, long peerMaxBytes)
      throws IOException {
    SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket();
    s.connect(leader, READ_TIMEOUT_MILLIS);
    s.setUseClientMode(true);
    return new ForgedPeer(s, peerMaxBytes);
  }

  /**
   * Sends {@code frame}; false if the leader closed the connection or refused the TLS handshake.
   */
  boolean send(Frame frame) throws IOException {
    try {
      out.write(FrameCodec.encode(frame).toArray());
      out.flush();
      return true;
    } catch (SSLException e) {
      tlsFailure = e;
      closed = true;
      return false;
    } catch (SocketException e) {
      closed = true; // the leader closed the connection first
      return false;
    }
  }

  /** How the TLS handshake failed, if it did. */
  Optional<SSLException> tlsFailure() {
    return Optional.ofNullable(tlsFailure);
  }

  /** The leader's next frame, or null once it closed (or reset) the connection. */
  Frame next() throws IOException {
    while (true) {
      Frame f = decoder.next();
      if (f != null) {
        return f;
      }
      if (closed) {
        return null;
      }
      int n;
      try {
        n = in.read(buffer);
      } catch (SocketException e) {
        n = -1; // reset by the leader: closed all the same
      } catch (SSLException e) {
        tlsFailure = e; // the leader refused this peer during the TLS handshake
        n = -1;
      }
      if (n < 0) {
        closed = true;
      } else {
        decoder.feed(ByteString.fromArray(buffer, 0, n));
      }
    }
  }

  /** Frames up to and including the first of {@code type}; fails if the leader closes first. */
  List<Frame> until(Class<? extends Frame> type) throws IOException {
    List<Frame> frames = new ArrayList<>();
    while (true) {
      Frame f = next();
      if (f == null) {
        throw new AssertionError("closed before a " + type.getSimpleName() + ": " + frames);
      }
      frames.add(f);
      if (type.isInstance(f)) {
        return frames;
      }
    }
  }

  /** Every frame until the leader closes the connection. */
  List<Frame> rest() throws IOException {
    List<Frame> frames = new ArrayList<>();
    for (Frame f = next(); f != null; f = next()) {
      frames.add(f);
    }
    return frames;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
