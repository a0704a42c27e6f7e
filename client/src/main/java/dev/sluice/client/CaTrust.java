package dev.sluice.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Trust anchors from a PEM bundle of CA certificates (a cluster CA, or old and new CA during a
 * rotation), with the JDK alone: the certificates go into an in-memory PKCS12 {@link KeyStore} that
 * backs a PKIX trust manager. Host names are still verified by the HTTP client, so the server's
 * certificate must name the host the client connects to (a DNS or IP subject alternative name).
 *
 * <p>Thread-safety: stateless.
 */
public final class CaTrust {

  private CaTrust() {}

  /**
   * A TLS context that trusts exactly the certificates of {@code caPem} (not the JDK's default
   * authorities).
   *
   * @throws UncheckedIOException naming the file when it cannot be read
   * @throws IllegalArgumentException naming the file when it holds no X.509 certificate
   */
  public static SSLContext sslContext(Path caPem) {
    List<Certificate> certificates = certificates(caPem);
    try {
      KeyStore anchors = KeyStore.getInstance("PKCS12");
      anchors.load(null, null);
      for (int i = 0; i < certificates.size(); i++) {
        anchors.setCertificateEntry("ca-" + i, certificates.get(i));
      }
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(anchors);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      // The JDK ships PKCS12, PKIX and TLS; failing here means a broken JDK, not a bad file.
      throw new IllegalStateException(
          "cannot build a TLS context from the CA file " + caPem + ": " + e, e);
    }
  }

  /** Every certificate of the bundle, in file order; never empty. */
  static List<Certificate> certificates(Path caPem) {
    Collection<? extends Certificate> read;
    try (InputStream in = Files.newInputStream(caPem)) {
      read = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (IOException e) {
      throw new UncheckedIOException(
          new IOException("cannot read the CA file " + caPem + ": " + describe(e), e));
    } catch (CertificateException e) {
      throw new IllegalArgumentException(
          "the CA file "
              + caPem
              + " holds no PEM certificate (-----BEGIN CERTIFICATE-----) that can be read: "
              + e.getMessage(),
          e);
    }
    if (read.isEmpty()) {
      throw new IllegalArgumentException(
          "the CA file "
              + caPem
              + " holds no certificate: expected one or more PEM blocks"
              + " -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----");
    }
    return List.copyOf(read);
  }

  private static String describe(IOException e) {
    // NIO's file exceptions carry only the path as their message: say what went wrong instead.
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
